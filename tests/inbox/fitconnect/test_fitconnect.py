"""Submissions of other OZG portals through FIT-Connect, against the suite's own
Zustelldienst (``zustelldienst``): fetched, decrypted, checked against the metadata
schema and their SHA-512 hashes, accepted into the Posteingang or rejected into its
quarantine, and answered with a signed event — once, whatever interrupts the poll."""

from __future__ import annotations

import io
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from jwcrypto import jwk

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import geheimnisse
from koffer.audit.models import AuditEvent, Geheimnis
from koffer.blobs.store import get_store
from koffer.inbox.fitconnect import services
from koffer.inbox.fitconnect.services import Einreichung
from koffer.inbox.models import Ablehnung, FitConnectZiel, Stapel, Stapeldatei
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.inbox import scans
from tests.inbox.conftest import checked
from tests.inbox.fitconnect import zustelldienst as zd

pytestmark = pytest.mark.django_db

SHARED_SCHEMA = (
    Path(__file__).resolve().parents[4]
    / "shared"
    / "conformance"
    / "fit-connect"
    / "metadata.schema.v1.0.0.json"
)


@dataclass
class Aufbau:
    ziel: FitConnectZiel
    dienst: zd.Zustelldienst
    verschluesselung: jwk.JWK  # the destination's public key, as senders get it
    signaturpruefung: jwk.JWK  # the public key to check koffer's events


@pytest.fixture
def aufbau(
    tenant: Mandant,
    admin_user: User,
    poststelle: Organisationseinheit,
    settings: Any,
    tmp_path: Path,
) -> Iterator[Aufbau]:
    settings.KOFFER_FITCONNECT_KEY_DIR = tmp_path / "fitconnect"
    destination_id = uuid.uuid4()
    dienst, server = zd.starten(destination_id)
    try:
        eingerichtet = services.ziel_einrichten(
            actor=admin_user,
            access=Access.for_user(admin_user.pk, tenant.pk),
            tenant=tenant,
            destination_id=destination_id,
            name="Bürgergeld online",
            unit=poststelle,
            base_url=dienst.url,
            token_url=dienst.url + "/token",
            client_id="koffer",
            client_secret=zd.SECRET,
            bits=2048,
        )
        yield Aufbau(
            eingerichtet.ziel,
            dienst,
            jwk.JWK(**eingerichtet.oeffentlich["verschluesselung"]),
            jwk.JWK(**eingerichtet.oeffentlich["signaturpruefung"]),
        )
    finally:
        server.shutdown()
        server.server_close()


def _event(aufbau: Aufbau, case_id: str) -> tuple[dict[str, object], dict[str, object]]:
    posted = [token for case, token in aufbau.dienst.posts if case == case_id]
    assert len(posted) == 1, posted
    return zd.verified(posted[0], aufbau.signaturpruefung)


def _problem(aufbau: Aufbau, case_id: str) -> dict[str, str]:
    _, claims = _event(aufbau, case_id)
    events = claims["events"]
    assert isinstance(events, dict)
    assert list(events) == [zd.EVENTS + "reject-submission"]
    (problem,) = events[zd.EVENTS + "reject-submission"]["problems"]
    return dict(problem)


def test_the_keys_are_in_the_database_encrypted(aufbau: Aufbau, settings: Any) -> None:
    """Every machine finds them there; without the secret key the row reveals nothing."""
    ziel = aufbau.ziel
    name = f"fitconnect/{ziel.tenant_id}/{ziel.destination_id}"
    roh = bytes(Geheimnis.objects.get(name=name).inhalt)
    stored = json.loads(geheimnisse.lesen(name) or b"")
    assert stored["entschluesselung"]["d"] and stored["client_secret"] == zd.SECRET
    assert stored["entschluesselung"]["d"].encode() not in roh and zd.SECRET.encode() not in roh
    assert not Path(settings.KOFFER_FITCONNECT_KEY_DIR).exists()  # no file on this machine
    assert ziel.encryption_kid == aufbau.verschluesselung.get("kid")
    assert "d" not in aufbau.verschluesselung.export_public(as_dict=True)
    event = AuditEvent.objects.get(tenant_id=ziel.tenant_id, action="inbox.fitconnect.ziel")
    assert stored["entschluesselung"]["d"] not in json.dumps(event.changes)


def test_only_the_administration_sets_up_a_destination(
    tenant: Mandant, mail_room: User, poststelle: Organisationseinheit
) -> None:
    from koffer.inbox.errors import Forbidden

    with pytest.raises(Forbidden):
        services.ziel_einrichten(
            actor=mail_room,
            access=Access.for_user(mail_room.pk, tenant.pk),
            tenant=tenant,
            destination_id=uuid.uuid4(),
            name="x",
            unit=poststelle,
            base_url="https://zustelldienst.example",
            bits=2048,
        )


def test_a_submission_is_accepted_into_the_posteingang_and_answered(aufbau: Aufbau) -> None:
    antrag, nachweis = scans.pdf(2), scans.pdf(1)
    sendung = zd.sendung(
        files=[("antrag.pdf", antrag), ("../nachweis.pdf", nachweis)],
        data={"antragsteller": {"name": "Erika Mustermann"}, "betrag": "12.50"},
    )
    submission_id, case_id = aufbau.dienst.einreichen(aufbau.verschluesselung, sendung)

    bericht = services.abholen(ziel=aufbau.ziel)

    assert bericht.fehler == ""
    assert bericht.angenommen == [uuid.UUID(submission_id)]
    einreichung = Einreichung.objects.for_tenant(aufbau.ziel.tenant_id).get()
    assert einreichung.state == "angenommen" and einreichung.ereignis_gesendet_at is not None
    assert json.loads(einreichung.daten)["antragsteller"]["name"] == "Erika Mustermann"
    assert einreichung.daten_mime == "application/json"
    stapel = einreichung.stapel
    assert stapel is not None and stapel.source == "fitconnect" and stapel.job_id is not None
    assert stapel.unit_id == aufbau.ziel.unit_id
    assert json.loads(stapel.manifest) == sendung.metadata
    names = list(
        Stapeldatei.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .values_list("name", "sha256")
    )
    assert names == [
        ("01-antrag.pdf", scans.sha256(antrag)),
        ("02-_nachweis.pdf", scans.sha256(nachweis)),  # never a path
    ]
    # The batch goes the Posteingang's way: checked, then into the pipeline.
    stapel = checked(stapel)
    assert stapel.state == Stapel.State.VERARBEITET and stapel.processing_job_id is not None
    states = set(
        Stapeldatei.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .values_list("state", flat=True)
    )
    assert states == {"geprueft"}

    header, claims = _event(aufbau, case_id)
    assert header["typ"] == "secevent+jwt" and header["alg"] == "PS512"
    assert header["kid"] == aufbau.ziel.signing_kid
    assert claims["sub"] == f"submission:{submission_id}"
    assert claims["txn"] == f"case:{case_id}"
    assert claims["iss"] == str(aufbau.ziel.destination_id)
    assert claims["jti"] == str(einreichung.ereignis_jti)
    events = claims["events"]
    assert isinstance(events, dict) and list(events) == [zd.EVENTS + "accept-submission"]
    tags = events[zd.EVENTS + "accept-submission"]["authenticationTags"]
    submission = aufbau.dienst.submissions[submission_id]
    assert tags["metadata"] == submission["encryptedMetadata"].rsplit(".", 1)[1]
    assert set(tags["attachments"]) == set(sendung.attachments)
    actions = set(
        AuditEvent.objects.filter(
            tenant_id=aufbau.ziel.tenant_id, object_id=str(einreichung.pk)
        ).values_list("action", flat=True)
    )
    assert actions == {"inbox.fitconnect.accept", "inbox.fitconnect.event"}
    assert "POST /token" in aufbau.dienst.requests

    # Decided: the Zustelldienst lists it no more, and a second poll does nothing.
    again = services.abholen(ziel=aufbau.ziel)
    assert (again.angenommen, again.gesendet) == ([], [])
    assert len(aufbau.dienst.posts) == 1


def _rejected(aufbau: Aufbau, case_id: str, problem: str) -> tuple[Einreichung, dict[str, str]]:
    bericht = services.abholen(ziel=aufbau.ziel)
    assert bericht.fehler == "" and len(bericht.abgelehnt) == 1
    einreichung = Einreichung.objects.for_tenant(aufbau.ziel.tenant_id).get()
    assert einreichung.state == "abgelehnt" and einreichung.problem == problem
    assert einreichung.stapel is None
    assert not Stapel.objects.for_tenant(aufbau.ziel.tenant_id).exists()
    # Nothing lost: the submission as fetched, and the Posteingang's quarantine says why.
    kept = json.loads(einreichung.rohdaten)
    assert kept["submission"]["caseId"] == case_id
    ablehnung = Ablehnung.objects.for_tenant(aufbau.ziel.tenant_id).get()
    assert ablehnung.reason == einreichung.grund and ablehnung.unit_id == aufbau.ziel.unit_id
    assert AuditEvent.objects.filter(
        tenant_id=aufbau.ziel.tenant_id, action="inbox.fitconnect.reject"
    ).exists()
    # The sender is told why, in the signed reject event.
    found = _problem(aufbau, case_id)
    assert found["type"] == zd.EVENTS + "problems/" + problem
    assert found["detail"] in einreichung.grund
    return einreichung, found


def test_a_changed_attachment_is_rejected_for_its_hash(aufbau: Aufbau) -> None:
    sendung = zd.sendung(files=[("antrag.pdf", scans.pdf()), ("lohn.pdf", scans.pdf())])
    changed = list(sendung.attachments)[1]
    _, case_id = aufbau.dienst.einreichen(
        aufbau.verschluesselung, sendung, attachment_plain={changed: scans.pdf(3)}
    )
    einreichung, problem = _rejected(aufbau, case_id, "hash-mismatch")
    assert "Prüfsumme (SHA-512) der Anlage „lohn.pdf“ stimmt nicht" in einreichung.grund
    assert problem["instance"] == f"attachment:{changed}"
    assert changed in einreichung.rohdaten  # the encrypted attachment is kept


def test_changed_data_is_rejected_for_its_hash(aufbau: Aufbau) -> None:
    sendung = zd.sendung(files=[("antrag.pdf", scans.pdf())], data={"betrag": "1"})
    sendung.data = json.dumps({"betrag": "1000"}).encode()
    _, case_id = aufbau.dienst.einreichen(aufbau.verschluesselung, sendung)
    einreichung, problem = _rejected(aufbau, case_id, "hash-mismatch")
    assert "Prüfsumme (SHA-512) der Fachdaten" in einreichung.grund
    assert problem["instance"] == "data"


def test_an_undecryptable_payload_is_rejected(aufbau: Aufbau) -> None:
    other = jwk.JWK.generate(kty="RSA", size=2048, kid="fremd")
    sendung = zd.sendung(files=[("antrag.pdf", scans.pdf())])
    _, case_id = aufbau.dienst.einreichen(
        aufbau.verschluesselung,
        sendung,
        metadata_token=zd.encrypt(other, json.dumps(sendung.metadata).encode()),
    )
    einreichung, problem = _rejected(aufbau, case_id, "encryption-issue")
    assert "Die Entschlüsselung der Metadaten mit dem Schlüssel dieses Zustellpunkts ist " in (
        einreichung.grund
    )
    assert problem["instance"] == "metadata"


def test_metadata_against_the_schema_are_rejected(aufbau: Aufbau) -> None:
    sendung = zd.sendung(files=[("antrag.pdf", scans.pdf())])
    sendung.metadata["contentStructure"]["attachments"][0]["purpose"] = "brief"
    _, case_id = aufbau.dienst.einreichen(aufbau.verschluesselung, sendung)
    einreichung, _ = _rejected(aufbau, case_id, "schema-violation")
    assert "Metadatenschema von FIT-Connect (Version 1.0.0)" in einreichung.grund
    assert "„contentStructure/attachments/0/purpose“" in einreichung.grund


def test_a_replayed_submission_is_taken_once(aufbau: Aufbau) -> None:
    sendung = zd.sendung(files=[("antrag.pdf", scans.pdf())])
    _, case_id = aufbau.dienst.einreichen(aufbau.verschluesselung, sendung)
    services.abholen(ziel=aufbau.ziel)
    # The Zustelldienst offers it again (its event log lost, or a replay).
    aufbau.dienst.events[case_id] = []
    bericht = services.abholen(ziel=aufbau.ziel)
    assert (bericht.angenommen, bericht.abgelehnt, bericht.gesendet) == ([], [], [])
    assert Stapel.objects.for_tenant(aufbau.ziel.tenant_id).count() == 1
    assert Einreichung.objects.for_tenant(aufbau.ziel.tenant_id).count() == 1
    assert len(aufbau.dienst.posts) == 1


class Killed(BaseException):
    """Stands for the process killed at a step (not an Exception: nothing catches it)."""


@pytest.mark.parametrize("step", ["abgeholt", "entschieden", "gesendet"])
def test_an_interrupted_poll_resumes_without_duplicates(
    aufbau: Aufbau, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    good = zd.sendung(files=[("antrag.pdf", scans.pdf())])
    bad = zd.sendung(files=[("antrag.pdf", scans.pdf())])
    bad.metadata["contentStructure"]["attachments"][0]["hash"]["content"] = "0" * 128
    _, good_case = aufbau.dienst.einreichen(aufbau.verschluesselung, good)
    _, bad_case = aufbau.dienst.einreichen(aufbau.verschluesselung, bad)

    def kill(name: str) -> None:
        if name == step:
            raise Killed(name)

    monkeypatch.setattr(services, "step_reached", kill)
    with pytest.raises(Killed):
        services.abholen(ziel=aufbau.ziel)
    decided = Einreichung.objects.for_tenant(aufbau.ziel.tenant_id).count()
    assert decided == (0 if step == "abgeholt" else 1)
    assert len(aufbau.dienst.posts) == (1 if step == "gesendet" else 0)

    monkeypatch.setattr(services, "step_reached", lambda name: None)
    services.abholen(ziel=aufbau.ziel)
    services.abholen(ziel=aufbau.ziel)

    einreichungen = Einreichung.objects.for_tenant(aufbau.ziel.tenant_id)
    assert sorted(einreichungen.values_list("state", flat=True)) == ["abgelehnt", "angenommen"]
    assert not einreichungen.filter(ereignis_gesendet_at__isnull=True).exists()
    assert Stapel.objects.for_tenant(aufbau.ziel.tenant_id).count() == 1
    assert Ablehnung.objects.for_tenant(aufbau.ziel.tenant_id).count() == 1
    assert sorted(case for case, _ in aufbau.dienst.posts) == sorted([good_case, bad_case])
    _, claims = _event(aufbau, good_case)
    assert list(claims["events"]) == [zd.EVENTS + "accept-submission"]  # type: ignore[arg-type]
    assert _problem(aufbau, bad_case)["type"].endswith("/hash-mismatch")


def test_an_unreachable_zustelldienst_decides_nothing(aufbau: Aufbau) -> None:
    zd_url = aufbau.ziel.base_url
    FitConnectZiel.objects.for_tenant(aufbau.ziel.tenant_id).update(base_url="http://127.0.0.1:9")
    aufbau.dienst.einreichen(aufbau.verschluesselung, zd.sendung(files=[("a.pdf", scans.pdf())]))
    ziel = FitConnectZiel.objects.for_tenant(aufbau.ziel.tenant_id).get()
    bericht = services.abholen(ziel=ziel)
    assert "Der Zustelldienst ist nicht erreichbar" in bericht.fehler
    ziel.refresh_from_db()
    assert ziel.poll_error == bericht.fehler and ziel.polled_at is not None
    assert not Einreichung.objects.for_tenant(ziel.tenant_id).exists()
    FitConnectZiel.objects.for_tenant(ziel.tenant_id).update(base_url=zd_url)
    ziel.refresh_from_db()
    assert len(services.abholen(ziel=ziel).angenommen) == 1


def test_the_vendored_schema_is_the_shared_one() -> None:
    from koffer.inbox.fitconnect import pruefung

    if not SHARED_SCHEMA.exists():
        pytest.skip("../shared/conformance is not beside this checkout")
    assert pruefung.SCHEMA_FILE.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_a_submission_the_service_cannot_hand_out_holds_up_no_other(aufbau: Aufbau) -> None:
    broken = zd.sendung(files=[("antrag.pdf", scans.pdf())])
    broken_id, _ = aufbau.dienst.einreichen(aufbau.verschluesselung, broken)
    del aufbau.dienst.attachments[(broken_id, next(iter(broken.attachments)))]
    good_id, _ = aufbau.dienst.einreichen(
        aufbau.verschluesselung, zd.sendung(files=[("antrag.pdf", scans.pdf())])
    )
    bericht = services.abholen(ziel=aufbau.ziel)
    assert bericht.angenommen == [uuid.UUID(good_id)]
    assert "HTTP 404" in bericht.fehler
    # Nothing decided on the broken one: it is fetched again next time.
    assert (
        not Einreichung.objects.for_tenant(aufbau.ziel.tenant_id)
        .filter(submission_id=broken_id)
        .exists()
    )
    assert broken_id in {s["submissionId"] for s in aufbau.dienst.waiting()}


def test_data_without_attachments_become_one_readable_document(
    aufbau: Aufbau, tmp_path: Path
) -> None:
    sendung = zd.sendung(
        files=[],
        data={"antragsteller": {"name": "Erika Mustermann", "kinder": [{"name": "Mia"}]}},
    )
    submission_id, _ = aufbau.dienst.einreichen(aufbau.verschluesselung, sendung)

    bericht = services.abholen(ziel=aufbau.ziel)

    assert bericht.angenommen == [uuid.UUID(submission_id)]
    einreichung = Einreichung.objects.for_tenant(aufbau.ziel.tenant_id).get()
    assert json.loads(einreichung.daten)["antragsteller"]["name"] == "Erika Mustermann"
    stapel = einreichung.stapel
    assert stapel is not None
    [datei] = list(Stapeldatei.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel))
    assert datei.name == "01-fachdaten.pdf"
    # The batch goes the Posteingang's way like one with attachments.
    stapel = checked(stapel)
    assert stapel.state == Stapel.State.VERARBEITET
    datei.refresh_from_db()
    assert datei.state == "geprueft"
    # What a person reads: each value under its path, the service and the submission named.
    pdf = tmp_path / "fachdaten.pdf"
    with get_store().open(datei.sha256) as stream:
        pdf.write_bytes(stream.read())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Fachdaten einer FIT-Connect-Einreichung" in text and "Bürgergeld" in text
    assert re.search(r"antragsteller › name\s+Erika Mustermann", text)
    assert re.search(r"antragsteller › kinder › 1 › name\s+Mia", text)
    assert submission_id in text


def _schluesseldatei(aufbau: Aufbau, settings: Any) -> dict[str, Any]:
    ziel = aufbau.ziel
    return dict(
        json.loads(geheimnisse.lesen(f"fitconnect/{ziel.tenant_id}/{ziel.destination_id}") or b"")
    )


def test_a_key_change_keeps_the_old_decryption_key_until_no_submission_needs_it(
    aufbau: Aufbau, admin_user: User, tenant: Mandant, settings: Any
) -> None:
    alt_kid = aufbau.ziel.encryption_kid
    unterwegs = zd.sendung(files=[("alt.pdf", scans.pdf())])
    aufbau.dienst.einreichen(aufbau.verschluesselung, unterwegs)  # sent before the change

    ausgabe, fehler = io.StringIO(), io.StringIO()
    call_command(
        "inbox_fitconnect_schluessel",
        str(aufbau.ziel.destination_id),
        "--benutzer",
        admin_user.username,
        "--bits",
        "2048",
        stdout=ausgabe,
        stderr=fehler,
    )
    oeffentlich = json.loads(ausgabe.getvalue())
    assert "beim Zustelldienst hinterlegen" in fehler.getvalue()
    neu = jwk.JWK(**oeffentlich["verschluesselung"])
    assert "d" not in oeffentlich["verschluesselung"]  # only the public part leaves
    ziel = FitConnectZiel.objects.for_tenant(tenant).get(pk=aufbau.ziel.pk)
    assert ziel.encryption_kid == neu.get("kid") != alt_kid
    datei = _schluesseldatei(aufbau, settings)
    assert [a["schluessel"]["kid"] for a in datei["fruehere"]] == [alt_kid]
    event = AuditEvent.objects.get(tenant_id=tenant.pk, action="inbox.fitconnect.schluesselwechsel")
    assert event.actor_id == admin_user.pk
    assert event.changes["encryption_kid"] == {"old": alt_kid, "new": ziel.encryption_kid}
    assert event.changes["behalten"] == [alt_kid]

    # Both the submission made for the old key and one for the new key are taken; the
    # events are signed with the new signing key.
    aufbau.dienst.einreichen(neu, zd.sendung(files=[("neu.pdf", scans.pdf())]))
    settings.KOFFER_FITCONNECT_KEY_KEEP_DAYS = 0
    bericht = services.abholen(ziel=ziel)
    assert (len(bericht.angenommen), bericht.abgelehnt, bericht.fehler) == (2, [], "")
    # A submission of this poll still needed the old key: it stays.
    assert bericht.entfernt == []
    assert [a["schluessel"]["kid"] for a in _schluesseldatei(aufbau, settings)["fruehere"]]
    signatur = jwk.JWK(**oeffentlich["signaturpruefung"])
    for _, token in aufbau.dienst.posts:
        zd.verified(token, signatur)

    # A complete poll that finds nothing for it, after the days to keep: it goes.
    bericht = services.abholen(ziel=ziel)
    assert bericht.entfernt == [alt_kid]
    assert _schluesseldatei(aufbau, settings)["fruehere"] == []
    entfernt = AuditEvent.objects.get(
        tenant_id=tenant.pk, action="inbox.fitconnect.schluessel_entfernt"
    )
    assert entfernt.changes == {"entfernt": [alt_kid]}
    # From now on a submission for the old key cannot be decrypted: rejected, with why.
    aufbau.dienst.einreichen(aufbau.verschluesselung, zd.sendung(files=[("x.pdf", scans.pdf())]))
    spaet = services.abholen(ziel=ziel)
    assert len(spaet.abgelehnt) == 1
    abgelehnt = Einreichung.objects.for_tenant(tenant).get(state="abgelehnt")
    assert abgelehnt.problem == "encryption-issue"


def test_the_old_key_is_kept_for_the_days_to_keep(
    aufbau: Aufbau, admin_user: User, tenant: Mandant, settings: Any
) -> None:
    settings.KOFFER_FITCONNECT_KEY_KEEP_DAYS = 30
    services.schluessel_wechseln(
        actor=admin_user,
        access=Access.for_user(admin_user.pk, tenant.pk),
        ziel=aufbau.ziel,
        bits=2048,
    )
    assert services.abholen(ziel=aufbau.ziel).entfernt == []
    assert len(_schluesseldatei(aufbau, settings)["fruehere"]) == 1


def test_only_the_administration_changes_keys(
    aufbau: Aufbau, tenant: Mandant, poststelle: Organisationseinheit
) -> None:
    sachbearbeitung = factories.user(tenant, role="sachbearbeitung", unit_=poststelle)
    with pytest.raises(CommandError, match="Nur die Administration"):
        call_command(
            "inbox_fitconnect_schluessel",
            str(aufbau.ziel.destination_id),
            "--benutzer",
            sachbearbeitung.username,
            stdout=io.StringIO(),
        )
    assert not AuditEvent.objects.filter(action="inbox.fitconnect.schluesselwechsel").exists()
