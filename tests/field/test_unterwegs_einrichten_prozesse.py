"""A fresh Koffer with the tresor on, served as a real process next to a real office: it
lands on „Koffer einrichten“, is paired by code, pulls its first package (with progress)
and the field worker then signs in with the office password and TOTP; the set-up page is
gone and the set-up is in the Koffer's audit. Then the office revokes it: the running
Koffer crypto-erases itself on its next contact, every page says only „Dieser Koffer
wurde gesperrt und gelöscht“, and its var folder holds no key and no readable personal
data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from koffer.tresor import orte, schluessel
from tests import dbtemplate
from tests.field.conftest import Dienst, Sitzung
from tests.field.test_paket_koffer import _manage
from tests.subprocesses import koffer_env

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]

EINRICHTEN = "/unterwegs/einrichten/"
WARTEN = 120.0


@pytest.fixture(scope="module")
def buero(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dienst, dict[str, Any]]]:
    var = tmp_path_factory.mktemp("buero")
    env = koffer_env(var, KOFFER_FAST_HASHER="1", KOFFER_DEBUG="0", KOFFER_REQUIRE_OTP="1")
    migrated = dbtemplate.migrate_var_dir(var, env)  # the office's database: plain SQLite
    assert migrated.returncode == 0, migrated.stderr
    datei = var / "seed.json"
    _manage(env, "shell", "-c", f"from tests.field import ende_seed as s; s.seed({str(datei)!r})")
    dienst = Dienst(var, env).starten()
    try:
        yield dienst, json.loads(datei.read_text())
    finally:
        dienst.stoppen()


def _koffer(var: Path, buero_url: str) -> Dienst:
    """A fresh Koffer with the tresor: key set up, database migrated, nobody in it."""
    var.mkdir(parents=True)
    kennwort = var.parent / "kennwort"
    kennwort.write_text("Kofferkennwort-2026\n")
    env = koffer_env(
        var,
        KOFFER_MODE="koffer",
        KOFFER_BUERO_URL=buero_url,
        KOFFER_TRESOR="1",
        KOFFER_FAST_HASHER="1",
        KOFFER_DEBUG="0",
        KOFFER_REQUIRE_OTP="1",
        **{schluessel.KENNWORT_DATEI_ENV: str(kennwort)},
    )
    env.pop(schluessel.SCHLUESSEL_ENV, None)
    _manage(env, "tresor_einrichten")
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    return Dienst(var, env).starten()


def _leaks(var: Path, texte: list[str]) -> list[tuple[str, str]]:
    found = []
    for path in sorted(var.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [(str(path), t) for t in texte if t.encode() in data]
    return found


def test_a_fresh_koffer_is_set_up_from_its_page_and_crypto_erased_on_revocation(
    buero: tuple[Dienst, dict[str, Any]], tmp_path: Path
) -> None:
    office, seed = buero
    koffer = _koffer(tmp_path / "var", office.url)
    try:
        sitzung = Sitzung(koffer.url)
        start = sitzung.get("/")
        assert start.status == 302 and start.location == EINRICHTEN, start
        seite = sitzung.get(EINRICHTEN)
        assert seite.status == 200 and f'value="{office.url}"' in seite.text

        gekoppelt = sitzung.post(EINRICHTEN, {"buero": office.url, "code": seed["code"]})
        assert gekoppelt.status == 302, gekoppelt.text[:3000]
        deadline = time.monotonic() + WARTEN
        stand = sitzung.get(EINRICHTEN + "stand/")
        while stand.status == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            stand = sitzung.get(EINRICHTEN + "stand/")
        assert stand.status == 286, stand.text[:3000]
        assert "Koffer eingerichtet" in stand.text, stand.text[:3000]
        assert "Weiter zur Anmeldung" in stand.text

        assert sitzung.get(EINRICHTEN).status == 404  # the account is here: gone
        sitzung.anmelden(seed["username"], seed["password"], seed["totp"])
        akte = sitzung.get(f"/akten/{seed['akte']}/")
        assert seed["aktenzeichen"] in akte.text, akte.text[:2000]
        gezaehlt = _manage(
            koffer.env,
            "shell",
            "-c",
            "from koffer.audit.models import AuditEvent;"
            " print(AuditEvent.objects.filter(action='field.koffer.eingerichtet').count())",
        )
        assert gezaehlt.stdout.strip().splitlines()[-1] == "1", gezaehlt.stdout

        _manage(
            office.env,
            "shell",
            "-c",
            "from koffer.field.models import Geraet; from tests.field.paket_seed import sperren;"
            f" sperren(str(Geraet.objects.unscoped().get(user__username={seed['username']!r}).pk))",
        )
        gesperrt = sitzung.get("/unterwegs/buero/")  # the Koffer asks the office

        assert gesperrt.status == 410, gesperrt.text[:2000]
        assert "Dieser Koffer wurde gesperrt und gelöscht" in gesperrt.text
        for pfad in ("/", "/anmelden/", f"/akten/{seed['akte']}/", EINRICHTEN):
            antwort = Sitzung(koffer.url).get(pfad)
            assert antwort.status == 410, (pfad, antwort.status)
            assert "Dieser Koffer wurde gesperrt und gelöscht" in antwort.text
            assert seed["aktenzeichen"] not in antwort.text
    finally:
        koffer.stoppen()

    var = tmp_path / "var"
    assert not (var / "tresor.json").exists()
    assert not list(var.rglob("tresor.json*"))
    assert not list(var.rglob("*.sqlite3*"))
    assert not (var / "koffer" / "zugang.json").exists()
    assert not (orte.seiten_cache(var.resolve())).exists()
    assert _leaks(var, [seed["aktenzeichen"], seed["nachname"]]) == []
