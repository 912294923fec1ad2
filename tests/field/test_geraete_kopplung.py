"""Pairing a Koffer with its one-time code, and the device token it gets: through the
services and the API (``/api/v1/koffer/kopplung``, ``/api/v1/koffer/zustand``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.field.errors import FieldError, ZuVieleVersuche
from koffer.field.geraete import schluessel, services
from koffer.field.models import Geraet
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.field.conftest import koffer_client
from tests.inbox.openapi import conforms

KOPPLUNG = "/api/v1/koffer/kopplung"
ZUSTAND = "/api/v1/koffer/zustand"


def _koppeln(code: str, ip: str = "192.0.2.7") -> object:
    return Client(REMOTE_ADDR=ip).post(
        KOPPLUNG, {"code": code, "geraetename": "Laptop-Feld"}, content_type="application/json"
    )


def test_code_is_short_to_type_and_only_its_hash_is_kept(
    angemeldet: tuple[Geraet, str],
) -> None:
    geraet, code = angemeldet
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert set("".join(groups)) <= set(schluessel.ALPHABET)
    assert not set("".join(groups)) & set("01OIL")
    geraet.refresh_from_db()
    assert code not in geraet.kopplung_hash
    assert geraet.kopplung_hash == schluessel.code_digest(code)
    assert geraet.kopplung_bis == geraet.created_at + timedelta(minutes=15)


def test_pairing_by_api_gives_a_token_once_and_keeps_only_its_hash(
    angemeldet: tuple[Geraet, str], aussendienst: User
) -> None:
    geraet, code = angemeldet
    response = _koppeln(code.lower().replace("-", " "))  # typed in any case, with spaces
    assert response.status_code == 201, response.content
    body = conforms(response, "/api/v1/koffer/kopplung", "post")
    token = body["token"]
    assert token.startswith("kg_") and len(token) >= 3 + 43
    assert body["geraet"]["status"] == "gekoppelt"
    geraet.refresh_from_db()
    assert geraet.token_hash == schluessel.digest(token)
    assert geraet.kopplung_hash == "" and geraet.kopplung_bis is None
    assert geraet.gekoppelt_am is not None
    event = AuditEvent.objects.get(action="field.geraet.koppeln")
    assert event.actor_id == aussendienst.pk
    assert token not in json.dumps(event.changes)


def test_a_used_code_is_refused_with_the_same_words_as_a_wrong_one(
    angemeldet: tuple[Geraet, str],
) -> None:
    _, code = angemeldet
    assert _koppeln(code).status_code == 201
    reused = _koppeln(code)
    wrong = _koppeln("ABCD-EFGH-JKMN-PQRS")
    assert reused.status_code == wrong.status_code == 422
    for response in (reused, wrong):
        body = conforms(response, "/api/v1/koffer/kopplung", "post")
        assert body["code"] == "kopplung_ungueltig"
        assert response["Content-Type"] == "application/problem+json"
    assert json.loads(reused.content)["detail"] == json.loads(wrong.content)["detail"]


def test_an_expired_code_is_refused(angemeldet: tuple[Geraet, str]) -> None:
    geraet, code = angemeldet
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    with time_machine.travel(later), pytest.raises(FieldError) as refused:
        services.koppeln(code=code)
    assert refused.value.code == "kopplung_ungueltig"
    geraet.refresh_from_db()
    assert geraet.token_hash == ""


def test_a_new_code_replaces_the_old_one(
    angemeldet: tuple[Geraet, str], aussendienst: User
) -> None:
    geraet, old = angemeldet
    new = services.neuer_kopplungscode(actor=aussendienst, geraet=geraet)
    with pytest.raises(FieldError):
        services.koppeln(code=old)
    paired, _ = services.koppeln(code=new)
    assert paired.pk == geraet.pk


def test_ten_wrong_codes_from_one_address_lock_it_for_fifteen_minutes(
    angemeldet: tuple[Geraet, str],
) -> None:
    _, code = angemeldet
    for _ in range(10):
        assert _koppeln("AAAA-BBBB-CCCC-DDDD", ip="198.51.100.9").status_code == 422
    locked = _koppeln(code, ip="198.51.100.9")  # even the right code waits
    assert locked.status_code == 429
    assert conforms(locked, "/api/v1/koffer/kopplung", "post")["code"] == "zu_viele_versuche"
    assert _koppeln(code, ip="198.51.100.10").status_code == 201  # another address is free
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later), pytest.raises(FieldError) as again:
        services.koppeln(code="AAAA-BBBB-CCCC-DDDD", client_ip="198.51.100.9")
    assert not isinstance(again.value, ZuVieleVersuche)


def test_the_token_authenticates_the_koffer_as_its_field_worker(
    gekoppelt: tuple[Geraet, str],
) -> None:
    _, token = gekoppelt
    response = koffer_client(token).get(ZUSTAND)
    assert response.status_code == 200, response.content
    body = conforms(response, ZUSTAND, "get")
    assert body == {"gesperrt": False, "ausleihen": [], "gesichert": None}


def test_contact_is_recorded_at_most_once_a_minute(gekoppelt: tuple[Geraet, str]) -> None:
    geraet, token = gekoppelt
    client = koffer_client(token)
    start = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(start, tick=False):
        client.get(ZUSTAND)
    geraet.refresh_from_db()
    assert geraet.letzter_kontakt == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(ZUSTAND)
    geraet.refresh_from_db()
    assert geraet.letzter_kontakt == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(ZUSTAND)
    geraet.refresh_from_db()
    assert geraet.letzter_kontakt == start + timedelta(seconds=61)


def test_an_unknown_token_is_refused_as_invalid(gekoppelt: tuple[Geraet, str]) -> None:
    response = koffer_client("kg_" + "x" * 43).get(ZUSTAND)
    assert response.status_code == 401
    assert conforms(response, ZUSTAND, "get")["code"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_revoked_koffer_is_told_to_wipe_itself(
    gekoppelt: tuple[Geraet, str], aussendienst: User
) -> None:
    geraet, token = gekoppelt
    services.sperren(actor=aussendienst, geraet=geraet, grund="Laptop gestohlen")
    response = koffer_client(token).get(ZUSTAND)
    assert response.status_code == 401
    body = conforms(response, ZUSTAND, "get")
    assert body["code"] == "koffer_gesperrt"
    assert body["loeschen"] is True
    assert response["Content-Type"] == "application/problem+json"
    # It confirms the wipe (the one call a revoked Koffer may still make), twice is fine.
    for _ in range(2):
        done = koffer_client(token).post("/api/v1/koffer/geloescht")
        assert done.status_code == 200, done.content
    geraet.refresh_from_db()
    assert geraet.geloescht_am is not None
    assert AuditEvent.objects.filter(action="field.geraet.geloescht").count() == 1


def test_a_session_is_no_device(aussendienst: User, tenant: Mandant) -> None:
    response = signed_in(aussendienst).get(ZUSTAND)
    assert response.status_code == 401


def test_a_koffer_that_is_not_revoked_has_nothing_to_wipe(gekoppelt: tuple[Geraet, str]) -> None:
    response = koffer_client(gekoppelt[1]).post("/api/v1/koffer/geloescht")
    assert response.status_code == 409
    assert conforms(response, "/api/v1/koffer/geloescht", "post")["code"] == (
        "koffer_nicht_gesperrt"
    )
