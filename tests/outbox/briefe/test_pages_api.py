from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from koffer.outbox.briefe import services
from koffer.outbox.models import Brief
from tests import factories
from tests.conftest import signed_in
from tests.inbox.openapi import conforms
from tests.outbox.briefe.conftest import Welt, vorlage

pytestmark = pytest.mark.django_db


def _post(client: Client, brief: Brief, **extra: str) -> object:
    data = {
        "namen": "Anna Beispiel",
        "strasse": "Lindenweg 4",
        "ort": "12345 Musterstadt",
        "kanal": "hybrid",
        "einschreiben": "",
        "f_frist": "2026-12-31",
        "f_betrag": "1.250,00",
        **extra,
    }
    return client.post(reverse("outbox:brief", args=[brief.pk]), data)


def test_write_a_letter_from_the_akte(welt: Welt) -> None:
    v = vorlage(welt.tenant)
    client = signed_in(welt.writer)
    akte_page = client.get(reverse("records:akte_detail", args=[welt.akte.pk])).content.decode()
    assert reverse("outbox:brief_neu", args=[welt.akte.pk]) in akte_page
    new = client.get(reverse("outbox:brief_neu", args=[welt.akte.pk]))
    assert new.status_code == 200 and v.titel in new.content.decode()
    person = welt.akte.subjekte.get().person
    made = client.post(
        reverse("outbox:brief_neu", args=[welt.akte.pk]),
        {"vorlage": str(v.pk), "vorgang": "", "empfaenger": str(person.pk), "kanal": "hybrid"},
    )
    assert made.status_code == 302
    brief = Brief.objects.for_tenant(welt.tenant).get()
    page = client.get(made["Location"]).content.decode()
    assert 'src="data:image/png;base64,' in page
    assert "Frist" in page and "Vorschau" in page
    preview = client.post(
        reverse("outbox:brief_vorschau", args=[brief.pk]),
        {"namen": "Anna Beispiel", "strasse": "", "ort": "", "kanal": "hybrid", "f_frist": ""},
    ).content.decode()
    assert "So kann der Brief nicht versandt werden" in preview
    brief.refresh_from_db()
    assert brief.anschrift["strasse"] == "Lindenweg 4"  # the preview saves nothing
    released = _post(client, brief, aktion="freigeben")
    assert released.status_code == 302  # type: ignore[attr-defined]
    brief.refresh_from_db()
    assert brief.status == Brief.Status.FREIGEGEBEN
    assert brief.eingaben["frist"] == "31.12.2026"
    assert brief.eingaben["betrag"] == "1.250,00 €"
    listed = client.get(reverse("outbox:akte_briefe", args=[welt.akte.pk])).content.decode()
    assert brief.betreff in listed
    shown = client.get(reverse("outbox:brief", args=[brief.pk])).content.decode()
    assert reverse("records:dokument", args=[brief.dokument_id]) in shown
    filed = client.get(reverse("records:dokument", args=[brief.dokument_id])).content.decode()
    assert "Neue Version" not in filed  # a released letter is immutable


def test_findings_keep_the_draft(welt: Welt) -> None:
    v = vorlage(welt.tenant)
    brief = services.entwerfen(
        actor=welt.writer, access=welt.access(welt.writer), akte=welt.akte, vorlage=v
    )
    client = signed_in(welt.writer)
    answer = _post(client, brief, aktion="freigeben", f_frist="")
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert "eingabe.frist" in answer.content.decode()  # type: ignore[attr-defined]
    brief.refresh_from_db()
    assert brief.status == Brief.Status.ENTWURF


def test_second_person_sees_the_queue(welt: Welt) -> None:
    v = vorlage(welt.tenant, vier_augen=True)
    brief = services.entwerfen(
        actor=welt.writer, access=welt.access(welt.writer), akte=welt.akte, vorlage=v
    )
    _post(signed_in(welt.writer), brief, aktion="freigeben")
    brief.refresh_from_db()
    assert brief.status == Brief.Status.ZUR_FREIGABE
    assert (
        brief.betreff
        not in signed_in(welt.writer).get(reverse("outbox:freigaben")).content.decode()
    )
    colleague = signed_in(welt.colleague)
    assert brief.betreff in colleague.get(reverse("outbox:freigaben")).content.decode()
    done = colleague.post(reverse("outbox:brief", args=[brief.pk]), {"aktion": "zweitfreigabe"})
    assert done.status_code == 302
    brief.refresh_from_db()
    assert brief.status == Brief.Status.FREIGEGEBEN
    assert brief.freigegeben_von_id == welt.colleague.pk


def test_strangers_get_404(welt: Welt) -> None:
    v = vorlage(welt.tenant)
    brief = services.entwerfen(
        actor=welt.writer, access=welt.access(welt.writer), akte=welt.akte, vorlage=v
    )
    stranger = factories.user(welt.tenant, "sachbearbeitung", factories.unit(welt.tenant))
    client = signed_in(stranger)
    assert client.get(reverse("outbox:brief", args=[brief.pk])).status_code == 404
    assert client.get(reverse("outbox:brief_neu", args=[welt.akte.pk])).status_code == 404


def _api(welt: Welt) -> Client:
    _, secret = factories.api_token(
        welt.tenant, ["records.view", "records.edit", "outbox.send"], units=[welt.team]
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_api_writes_and_releases(welt: Welt) -> None:
    vorlage(welt.tenant)
    client = _api(welt)
    made = client.post(
        "/api/v1/postausgang/briefe",
        json.dumps(
            {
                "akte": str(welt.akte.pk),
                "vorlage": "mitwirkung",
                "eingaben": {"frist": "31.12.2026"},
            }
        ),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = conforms(made, "/api/v1/postausgang/briefe", "post")
    path = "/api/v1/postausgang/briefe/{brief_id}"
    refused = client.post(f"/api/v1/postausgang/briefe/{body['id']}/freigeben")
    assert refused.status_code == 422
    assert "eingabe.betrag" in conforms(refused, path + "/freigeben", "post")["detail"]
    changed = client.patch(
        f"/api/v1/postausgang/briefe/{body['id']}",
        json.dumps({"eingaben": {"betrag": "10,00"}}),
        content_type="application/json",
    )
    assert conforms(changed, path, "patch")["befunde"]
    released = client.post(f"/api/v1/postausgang/briefe/{body['id']}/freigeben")
    out = conforms(released, path + "/freigeben", "post")
    assert out["status"] == "freigegeben" and out["dokument"]
    again = client.post(f"/api/v1/postausgang/briefe/{body['id']}/freigeben")
    assert again.status_code == 409
    got = conforms(client.get(f"/api/v1/postausgang/briefe/{body['id']}"), path, "get")
    assert [e["status"] for e in got["verlauf"]] == ["entwurf", "freigegeben"]
    assert client.get(f"/api/v1/postausgang/briefe/{welt.akte.pk}").status_code == 404


def test_a_template_naming_the_vorgang_needs_one(welt: Welt) -> None:
    v = vorlage(welt.tenant, text="Zu Ihrem Antrag {{ vorgang.titel }}.")
    person = welt.akte.subjekte.get().person
    answer = signed_in(welt.writer).post(
        reverse("outbox:brief_neu", args=[welt.akte.pk]),
        {"vorlage": str(v.pk), "vorgang": "", "empfaenger": str(person.pk), "kanal": "hybrid"},
    )
    assert answer.status_code == 200
    assert "bitte einen Vorgang wählen" in answer.content.decode()
    assert not Brief.objects.for_tenant(welt.tenant).exists()
