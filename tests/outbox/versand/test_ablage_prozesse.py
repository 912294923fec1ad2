"""The drop folder with real processes: the simulator in folder mode (``printprovider_sim
--ordner``) takes the batch from ``ausgang/``, checks it, writes the receipt and its
reports into ``eingang/``, and the worker's pass applies them; and a writer killed while
it writes a ZIP leaves nothing under the ZIP's name."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from koffer.accounts.models import User
from koffer.outbox.models import Brief, Versandstapel
from koffer.outbox.versand import ablage, ordner
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.outbox.versand.ablagerun import MB
from tests.outbox.versand.conftest import Provider, run_python
from tests.outbox.versand.test_ablage import packed
from tests.subprocesses import ROOT, koffer_env, reaped

pytestmark = [pytest.mark.django_db, pytest.mark.real_clock]


def test_the_simulator_works_through_the_drop_folder(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    folder_provider: Provider,
    root: Path,
    tmp_path: Path,
) -> None:
    stapel = packed(tenant, akte, team_caseworker, n=4)
    folder = root / "druckhaus/nord"
    env = koffer_env(tmp_path / "var")
    (tmp_path / "var").mkdir()
    args = ["manage.py", "printprovider_sim", "--ordner", str(folder), "--once", "--delay", "0"]
    run_python(env, *args, "--return-rate", "0.5", "--seed", "3")
    eingang = sorted(p.name for p in (folder / "eingang").iterdir() if p.is_file())
    assert f"{stapel.nummer}.quittung.json" in eingang
    assert not [name for name in eingang if name.endswith(".tmp")]
    # Run again before koffer read anything: the simulator takes no batch twice.
    run_python(env, *args)

    assert all(r.fehler == [] for r in ablage.runde())
    stapel.refresh_from_db()
    assert stapel.status == "bestaetigt"
    briefe = Brief.objects.for_tenant(tenant).filter(pk__in=stapel.briefe.values("brief_id"))
    statuses = Counter(b.status for b in briefe)
    assert statuses["versendet"] + statuses["unzustellbar"] == 4
    assert 0 < statuses["unzustellbar"] < 4
    assert all(b.bekanntgabe_am is not None for b in briefe)
    assert list((folder / "ausgang").iterdir()) == []  # receipted: taken away
    assert not Versandstapel.objects.for_tenant(tenant).exclude(pk=stapel.pk).exists()


def test_a_writer_killed_while_writing_leaves_no_zip_under_its_name(tmp_path: Path) -> None:
    ausgang = tmp_path / "ausgang"
    ausgang.mkdir()
    target = ausgang / "20261206-1000-1.zip"
    env = koffer_env(tmp_path)
    command = [sys.executable, "-m", "tests.outbox.versand.ablagerun", str(target)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    with reaped(proc):
        assert proc.stdout is not None
        while (line := proc.stdout.readline()) and line.strip() != f"gelesen {MB // 2}":
            pass
        proc.kill()
        proc.wait()
    assert not target.exists()
    [partial] = list(ausgang.iterdir())  # only the hidden temporary file
    assert partial.name.startswith(ordner.TEMP_PREFIX) and partial.name.endswith(".tmp")

    # Run again to the end: the whole file under its name, the leftover cleaned later.
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert target.stat().st_size == MB * 1024 * 1024
