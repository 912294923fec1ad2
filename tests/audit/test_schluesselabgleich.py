"""Machines that share a database must share its secrets: the first fingerprint of each
secret is recorded, every machine compares, and one that differs is not ready, its serve
and worker do not start (issue 20, stateless processes)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from koffer.audit import keys, schluesselabgleich
from koffer.audit.models import Schluesselabdruck
from koffer.shell.server import free_port

pytestmark = pytest.mark.django_db


def _fremd(name: str, abdruck: str = "0" * 64) -> None:
    Schluesselabdruck.objects.update_or_create(
        name=name,
        defaults={"abdruck": abdruck, "rechner": "web-2", "eingetragen_am": timezone.now()},
    )


def test_the_first_machine_records_and_the_same_secrets_agree() -> None:
    keys.current_key_id()
    assert schluesselabgleich.abweichungen() == []
    names = set(Schluesselabdruck.objects.values_list("name", flat=True))
    assert "secret_key" in names
    assert any(n.startswith("audit/audit-") and n.endswith(".key") for n in names)
    from django.conf import settings

    secret = Schluesselabdruck.objects.get(name="secret_key")
    assert settings.SECRET_KEY not in secret.abdruck  # a fingerprint, never the key
    assert schluesselabgleich.abweichungen() == []  # a second look: still agreed
    assert Client().get("/readyz").json()["checks"]["schluessel"]["ok"] is True


def test_another_secret_key_is_named_in_readyz_and_stops_serve_and_worker(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    schluesselabgleich.abweichungen()
    Schluesselabdruck.objects.filter(name="secret_key").update(rechner="web-1")
    settings.SECRET_KEY = "ein-anderer-geheimer-schluessel-auf-diesem-rechner-0123456789"
    findings = schluesselabgleich.abweichungen()
    assert len(findings) == 1 and "geheime Schlüssel (KOFFER_SECRET_KEY)" in findings[0]
    assert "web-1" in findings[0]

    answer = Client().get("/readyz")
    assert answer.status_code == 503
    check = answer.json()["checks"]["schluessel"]
    assert check["ok"] is False and "web-1" in check["detail"]

    with pytest.raises(CommandError, match=r"Worker startet nicht.*KOFFER_SECRET_KEY"):
        call_command("worker", "--batch")
    with pytest.raises(CommandError, match=r"passt nicht zu den anderen.*KOFFER_SECRET_KEY"):
        call_command(
            "serve", "--no-demo", "--port", str(free_port()), "--live-port", str(free_port())
        )

    # changed on every machine on purpose: this machine's value is recorded
    call_command("schluessel_abgleich", "--uebernehmen")
    assert schluesselabgleich.abweichungen() == []


def test_a_key_file_missing_here_or_different_is_named() -> None:
    own = keys.current_key_id()
    _fremd("audit/audit-20261201000000000000-abcd.key")
    _fremd(f"audit/audit-{own}.key")
    findings = schluesselabgleich.abweichungen()
    assert any(
        "audit/audit-20261201000000000000-abcd.key (von web-2) fehlt" in f for f in findings
    ), findings
    assert any(f"audit/audit-{own}.key" in f and "unterscheidet sich" in f for f in findings)
    with pytest.raises(CommandError, match="fehlt"):
        call_command("schluessel_abgleich")
