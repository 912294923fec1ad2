"""Removing an uploaded file from a draft: „Datei entfernen“ on the step page (the
step's typed answers kept, the message shown), the API's DELETE (204, 404, 409), only
for open drafts the actor may fill; a required file field is an error again after its
last file went; the removed file's blob is no longer referenced and leaves the store,
unless another draft still holds the same bytes."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.forms.ausfuellen import services
from koffer.forms.errors import Conflict, NotFound
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Entwurf, Formular
from koffer.records.dokumente import blob_ledger
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.forms import formkern
from tests.forms.formkern import admin_access, akte, other_team_caseworker, text
from tests.inbox.openapi import DOCUMENT, conforms

__all__ = ["admin_access", "akte", "other_team_caseworker"]

DRAFT = "/api/v1/formulare/entwuerfe/{entwurf_id}"
DATEI = "/api/v1/formulare/entwuerfe/{entwurf_id}/dateien/{feld}/{blob}"


def definition() -> dict[str, Any]:
    daten = formkern.definition("wba-dateien")
    daten["schritte"].append(
        {
            "id": "nachweise",
            "titel": text("Nachweise"),
            "felder": [
                {"id": "belege", "typ": "datei", "label": text("Belege"), "pflicht": True},
                {"id": "hinweise", "typ": "text", "label": text("Hinweise zu den Belegen")},
            ],
        }
    )
    return daten


@pytest.fixture
def formular(tenant: Mandant, plan: Any, admin_user: User, admin_access: Any) -> Formular:
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=definition()
    )
    return ergebnis.formular


def _png(name: str, farbe: tuple[int, int, int] = (200, 10, 10)) -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (24, 24), farbe).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def _schritt(entwurf: Entwurf) -> str:
    return reverse("forms:entwurf_schritt", args=[entwurf.pk, "nachweise"])


def _mit_dateien(
    client: Client, user: User, formular: Formular, akte: Akte, *dateien: Any
) -> Entwurf:
    entwurf = services.entwurf_beginnen(actor=user, formular=formular, akte=akte)
    antwort = client.post(_schritt(entwurf), {"f-belege": list(dateien), "aktion": "speichern"})
    assert antwort.status_code == 200
    entwurf.refresh_from_db()
    assert [d["name"] for d in entwurf.antworten["belege"]] == [d.name for d in dateien]
    return entwurf


def _blob(entwurf: Entwurf, name: str) -> str:
    return next(str(d["blob"]) for d in entwurf.antworten["belege"] if d["name"] == name)


def test_a_file_is_removed_on_the_step_page_and_the_typed_answers_stay(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _mit_dateien(
        client, team_caseworker, formular, akte, _png("foto.png"), _png("zweites.png", (0, 90, 0))
    )
    foto, zweites = _blob(entwurf, "foto.png"), _blob(entwurf, "zweites.png")

    seite = client.get(_schritt(entwurf)).content.decode()
    assert "foto.png (" in seite and " Bytes)" in seite  # name and size
    # a real submit button per file, which the form posts without JavaScript
    knopf = f'type="submit" name="datei_entfernen" value="belege:{foto}" formnovalidate'
    assert knopf in seite and seite.count("Datei entfernen") == 2
    assert "„foto.png“" in seite  # the button names its file for screen readers
    # Enter in a text field presses the hidden „Weiter“ first, never a remove button
    assert seite.index('value="weiter"') < seite.index('name="datei_entfernen"')

    antwort = client.post(
        _schritt(entwurf), {"f-hinweise": "Lohnzettel folgt", "datei_entfernen": f"belege:{foto}"}
    )
    assert antwort.status_code == 200
    seite = antwort.content.decode()
    assert "Datei „foto.png“ entfernt." in seite
    assert f'value="belege:{foto}"' not in seite and f'value="belege:{zweites}"' in seite
    entwurf.refresh_from_db()
    assert [d["name"] for d in entwurf.antworten["belege"]] == ["zweites.png"]
    assert entwurf.antworten["hinweise"] == "Lohnzettel folgt"
    [event] = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="forms.entwurf.datei.remove"
    )
    assert event.changes["feld"] == "belege" and event.changes["blob"] == foto

    # the same button again (a second click, a stale page): a message, nothing breaks
    antwort = client.post(_schritt(entwurf), {"datei_entfernen": f"belege:{foto}"})
    assert antwort.status_code == 200
    assert "Diese Datei ist nicht (mehr) im Entwurf." in antwort.content.decode()


def test_the_last_file_removed_makes_a_required_field_an_error_again(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _mit_dateien(client, team_caseworker, formular, akte, _png("beleg.png"))
    url = DRAFT.format(entwurf_id=entwurf.pk)

    def befunde() -> dict[str, list[str]]:
        gespeichert = client.generic(
            "PATCH",
            url,
            json.dumps({"schritt": "nachweise", "antworten": {}}),
            content_type="application/json",
        )
        return dict(conforms(gespeichert, DRAFT, "patch")["fehler"])

    assert "belege" not in befunde()
    blob = _blob(entwurf, "beleg.png")
    antwort = client.delete(DATEI.format(entwurf_id=entwurf.pk, feld="belege", blob=blob))
    assert antwort.status_code == 204
    entwurf.refresh_from_db()
    assert "belege" not in entwurf.antworten
    assert befunde()["belege"] == ["Bitte füllen Sie „Belege“ aus."]
    # the summary leads back to the file field
    seite = client.post(reverse("forms:entwurf_pruefen", args=[entwurf.pk])).content.decode()
    assert f"{_schritt(entwurf)}#f-belege" in seite


def test_the_api_removes_a_file_and_answers_404_and_409_as_problems(
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    other_team_caseworker: User,
) -> None:
    assert "delete" in DOCUMENT["paths"][DATEI]
    client = signed_in(team_caseworker)
    entwurf = _mit_dateien(
        client, team_caseworker, formular, akte, _png("a.png"), _png("b.png", (1, 2, 3))
    )
    a, b = _blob(entwurf, "a.png"), _blob(entwurf, "b.png")

    def delete(who: Client, feld: str, blob: str) -> Any:
        return who.delete(DATEI.format(entwurf_id=entwurf.pk, feld=feld, blob=blob))

    # another team's caseworker, who may not fill forms in this Akte: unknown
    fremd = delete(signed_in(other_team_caseworker), "belege", a)
    assert fremd.status_code == 404
    assert fremd["Content-Type"].startswith("application/problem+json")
    for feld, blob in (("hinweise", a), ("gibtsnicht", a), ("belege", "0" * 64)):
        antwort = delete(client, feld, blob)
        assert antwort.status_code == 404, feld
        assert conforms(antwort, DATEI, "delete")["code"] == "datei_not_found"

    antwort = delete(client, "belege", a)
    assert antwort.status_code == 204 and antwort.content == b""
    entwurf.refresh_from_db()
    assert [d["blob"] for d in entwurf.antworten["belege"]] == [b]

    services.verwerfen(actor=team_caseworker, entwurf=entwurf)
    antwort = delete(client, "belege", b)
    assert antwort.status_code == 409
    assert conforms(antwort, DATEI, "delete")["code"] == "entwurf_not_open"
    entwurf.refresh_from_db()
    assert [d["blob"] for d in entwurf.antworten["belege"]] == [b]


def test_a_submitted_draft_keeps_its_files(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _mit_dateien(client, team_caseworker, formular, akte, _png("beleg.png"))
    services.schritt_speichern(
        actor=team_caseworker, entwurf=entwurf, schritt="haushalt", antworten={"umgezogen": "nein"}
    )
    services.einreichen(actor=team_caseworker, entwurf=entwurf)
    blob = _blob(entwurf, "beleg.png")
    with pytest.raises(Conflict):
        services.datei_entfernen(actor=team_caseworker, entwurf=entwurf, feld="belege", blob=blob)
    antwort = client.delete(DATEI.format(entwurf_id=entwurf.pk, feld="belege", blob=blob))
    assert antwort.status_code == 409
    # the step page of a submitted draft leads to its confirmation, removing nothing
    antwort = client.post(_schritt(entwurf), {"datei_entfernen": f"belege:{blob}"})
    assert antwort.status_code == 302
    entwurf.refresh_from_db()
    assert _blob(entwurf, "beleg.png") == blob


def test_a_removed_files_blob_goes_unless_another_draft_holds_it(
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = signed_in(team_caseworker)
    # the same bytes in two drafts (blobs are shared by content), another file in one
    erster = _mit_dateien(
        client,
        team_caseworker,
        formular,
        akte,
        _png("gemeinsam.png"),
        _png("allein.png", (9, 9, 9)),
    )
    zweiter = _mit_dateien(client, team_caseworker, formular, akte, _png("gemeinsam.png"))
    gemeinsam, allein = _blob(erster, "gemeinsam.png"), _blob(erster, "allein.png")
    store = get_store()
    assert gemeinsam == _blob(zweiter, "gemeinsam.png")
    assert store.exists(gemeinsam) and store.exists(allein)

    def entfernen(entwurf: Entwurf, blob: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.datei_entfernen(
                actor=team_caseworker, entwurf=entwurf, feld="belege", blob=blob
            )

    entfernen(erster, allein)
    assert not blob_ledger.referenced(allein)
    assert not store.exists(allein)

    entfernen(erster, gemeinsam)
    assert blob_ledger.referenced(gemeinsam)  # the second draft still holds it
    assert store.exists(gemeinsam)
    with store.open(gemeinsam) as datei:
        assert hashlib.sha256(datei.read()).hexdigest() == gemeinsam

    entfernen(zweiter, gemeinsam)
    assert not blob_ledger.referenced(gemeinsam)
    assert not store.exists(gemeinsam)
    # no mark is left for the collector
    assert not blob_ledger.PendingBlob.objects.unscoped().filter(sha256=gemeinsam).exists()
    with pytest.raises(NotFound):
        services.datei_entfernen(
            actor=team_caseworker, entwurf=zweiter, feld="belege", blob=gemeinsam
        )


def test_a_discarded_drafts_files_go_unless_another_draft_holds_them(
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = signed_in(team_caseworker)
    verworfen = _mit_dateien(
        client,
        team_caseworker,
        formular,
        akte,
        _png("gemeinsam.png"),
        _png("allein.png", (9, 9, 9)),
    )
    bleibt = _mit_dateien(client, team_caseworker, formular, akte, _png("gemeinsam.png"))
    gemeinsam, allein = _blob(verworfen, "gemeinsam.png"), _blob(verworfen, "allein.png")
    store = get_store()

    with django_capture_on_commit_callbacks(execute=True):
        services.verwerfen(actor=team_caseworker, entwurf=verworfen)

    assert not store.exists(allein)  # nothing else holds it: gone with the discarded draft
    assert store.exists(gemeinsam)  # the open draft still holds the same bytes
    verworfen.refresh_from_db()
    # the discarded draft keeps the record of what was there
    assert [d["name"] for d in verworfen.antworten["belege"]] == ["gemeinsam.png", "allein.png"]
    [event] = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="forms.entwurf.discard", object_id=str(verworfen.pk)
    )
    assert event.changes["freigegeben"] == 2
    assert not blob_ledger.PendingBlob.objects.unscoped().filter(sha256=allein).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.verwerfen(actor=team_caseworker, entwurf=bleibt)
    assert not store.exists(gemeinsam)
