"""Filling a form at the desk through its pages: choosing a form on the Akte, the steps
(an error shown and fixed, a table row added, a file refused without losing the other
answers, a signature drawn on screen), the summary, the submission filed in the Akte,
my drafts, discarding, the empty form; nobody outside the Akte's reach sees a draft."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw

from koffer.accounts.models import User
from koffer.forms.ausfuellen import services
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Einreichung, Entwurf, Formular
from koffer.inbox.verarbeitung import codes
from koffer.records import antwortcode
from koffer.records.dokumente import blob_ledger
from koffer.records.models import Akte, Dokument, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import query_count, signed_in
from tests.factories import records as record_factories
from tests.forms import formkern
from tests.forms.formkern import admin_access, akte, other_team_caseworker, text

__all__ = ["admin_access", "akte", "other_team_caseworker"]


def definition() -> dict[str, Any]:
    """The drafts' test form (prefill, a condition, a table) with a file and a signature,
    like the demo's forms."""
    daten = formkern.definition("wba-seiten")
    daten["beschreibung"] = text("Für die Weiterbewilligung des Bürgergelds.")
    daten["schritte"] += [
        {
            "id": "nachweise",
            "titel": text("Nachweise"),
            "felder": [{"id": "belege", "typ": "datei", "label": text("Belege")}],
        },
        {
            "id": "abschluss",
            "titel": text("Unterschrift"),
            "felder": [
                {
                    "id": "unterschrift",
                    "typ": "unterschrift",
                    "label": text("Unterschrift"),
                    "pflicht": True,
                }
            ],
        },
    ]
    return daten


@pytest.fixture
def formular(tenant: Mandant, plan: Any, admin_user: User, admin_access: Any) -> Formular:
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=definition()
    )
    return ergebnis.formular


def _zeichnung() -> str:
    bild = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    stift = ImageDraw.Draw(bild)
    stift.line([(40, 150), (200, 40), (320, 160), (560, 60)], fill=(0, 0, 0, 255), width=4)
    puffer = io.BytesIO()
    bild.save(puffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(puffer.getvalue()).decode()


def _schritt(entwurf: Entwurf, schritt: str) -> str:
    return reverse("forms:entwurf_schritt", args=[entwurf.pk, schritt])


def _beginnen(client: Client, akte: Akte, formular: Formular) -> Entwurf:
    seite = client.get(reverse("forms:akte_formulare", args=[akte.pk]))
    assert seite.status_code == 200
    assert formular.titel in seite.content.decode()
    antwort = client.post(
        reverse("forms:entwurf_beginnen", args=[akte.pk]), {"formular": str(formular.pk)}
    )
    entwurf = Entwurf.objects.for_tenant(akte.tenant_id).get(akte=akte)
    assert antwort.status_code == 302
    assert antwort["Location"] == _schritt(entwurf, "person")
    return entwurf


def test_the_whole_path_from_choosing_to_the_dokument_in_the_akte(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    akte_seite = client.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert reverse("forms:akte_formulare", args=[akte.pk]) in akte_seite
    entwurf = _beginnen(client, akte, formular)

    seite = client.get(_schritt(entwurf, "person")).content.decode()
    assert 'value="Beispiel"' in seite and "aus der Akte übernommen" in seite
    assert 'enctype="multipart/form-data"' in seite and "Zwischenspeichern" in seite

    # an error: shown on the same step, the input kept
    person = {"f-nachname": "Beispiel", "f-vorname": "Anna", "f-geburtsdatum": "31.02.1980"}
    antwort = client.post(_schritt(entwurf, "person"), person)
    assert antwort.status_code == 200
    assert "Bitte prüfen Sie Ihre Angaben" in antwort.content.decode()
    assert 'value="31.02.1980"' in antwort.content.decode()
    # fixed: on to the next step
    antwort = client.post(_schritt(entwurf, "person"), {**person, "f-geburtsdatum": "17.05.1980"})
    assert antwort["Location"] == _schritt(entwurf, "haushalt")

    # „Weitere Zeile“: the same step again, with the rows kept and an empty one more
    haushalt = {
        "f-mitglieder-0-vorname": "Anna",
        "f-mitglieder-0-nachname": "Beispiel",
        "f-umgezogen": "nein",
    }
    antwort = client.post(
        _schritt(entwurf, "haushalt"), {**haushalt, "weitere_zeile": "mitglieder"}
    )
    assert antwort.status_code == 200
    assert "f-mitglieder-1-vorname" in antwort.content.decode()
    # an answer that shows a field of this step: the step again, with that field
    haushalt |= {"f-mitglieder-1-vorname": "Clara", "f-umgezogen": "ja"}
    antwort = client.post(_schritt(entwurf, "haushalt"), haushalt)
    assert antwort.status_code == 200 and "f-umzug_am" in antwort.content.decode()
    antwort = client.post(_schritt(entwurf, "haushalt"), {**haushalt, "f-umzug_am": "01.03.2026"})
    assert antwort["Location"] == _schritt(entwurf, "einkommen")
    antwort = client.post(_schritt(entwurf, "einkommen"), {"f-lohn": "1.234,5"})
    assert antwort["Location"] == _schritt(entwurf, "nachweise")
    antwort = client.post(_schritt(entwurf, "nachweise"), {})
    assert antwort["Location"] == _schritt(entwurf, "abschluss")

    # the signature drawn on screen (the page's script posts the canvas as a data URL)
    antwort = client.post(
        _schritt(entwurf, "abschluss"),
        {
            "f-unterschrift-art": "bildschirm",
            "f-unterschrift-name": "Anna Beispiel",
            "f-unterschrift-bestaetigt": "ja",
            "f-unterschrift-bild": _zeichnung(),
        },
    )
    pruefen = reverse("forms:entwurf_pruefen", args=[entwurf.pk])
    assert antwort["Location"] == pruefen
    entwurf.refresh_from_db()
    signatur = entwurf.antworten["unterschrift"]
    assert signatur["art"] == "bildschirm" and len(signatur["bild"]) == 64

    seite = client.get(pruefen).content.decode()
    assert "Angaben prüfen" in seite
    assert "17.05.1980" in seite and "1.234,50" in seite and "Clara" in seite
    assert 'src="data:image/png;base64,' in seite  # the signature shown back
    assert seite.count("Ändern") == 5

    antwort = client.post(pruefen)
    einreichung = Einreichung.objects.for_tenant(akte.tenant_id).get(entwurf=entwurf)
    assert antwort["Location"] == reverse("forms:einreichung", args=[einreichung.pk])
    bestaetigung = client.get(antwort["Location"]).content.decode()
    dokument = Dokument.objects.for_tenant(akte.tenant_id).get(pk=einreichung.dokument_id)
    assert dokument.akte_id == akte.pk
    assert reverse("records:dokument", args=[dokument.pk]) in bestaetigung
    assert reverse("records:dokument_download", args=[dokument.pk]) in bestaetigung
    assert "PDF ansehen" in bestaetigung and einreichung.vorgang is not None
    assert Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(dokument=dokument).exists()
    assert "Wiedervorlage am" in bestaetigung
    # the step pages of a submitted draft lead to its confirmation
    assert client.get(_schritt(entwurf, "person"))["Location"] == antwort["Location"]


def test_a_missing_answer_keeps_the_summary_with_links_to_the_step(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _beginnen(client, akte, formular)
    antwort = client.post(reverse("forms:entwurf_pruefen", args=[entwurf.pk]))
    assert antwort.status_code == 200  # the summary again, as a step with errors
    seite = antwort.content.decode()
    assert f'href="{_schritt(entwurf, "haushalt")}#f-umgezogen"' in seite
    assert not Einreichung.objects.for_tenant(akte.tenant_id).filter(entwurf=entwurf).exists()


def test_a_typed_name_with_confirmation_signs_without_a_drawing(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _beginnen(client, akte, formular)
    antwort = client.post(
        _schritt(entwurf, "abschluss"),
        {
            "f-unterschrift-art": "bildschirm",
            "f-unterschrift-name": "Anna Beispiel",
            "f-unterschrift-bestaetigt": "ja",
        },
    )
    assert antwort.status_code == 302
    entwurf.refresh_from_db()
    assert entwurf.antworten["unterschrift"]["name"] == "Anna Beispiel"
    # a confirmed name, no picture made up for it
    assert "bild" not in entwurf.antworten["unterschrift"]


def test_a_file_failing_inspection_keeps_the_other_answers(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _beginnen(client, akte, formular)
    kaputt = SimpleUploadedFile("beleg.pdf", b"%PDF-1.7\nkaputt", content_type="application/pdf")
    antwort = client.post(_schritt(entwurf, "nachweise"), {"f-belege": [kaputt, _png("foto.png")]})
    assert antwort.status_code == 200
    seite = antwort.content.decode()
    assert "beleg.pdf" in seite and "kern-error" in seite
    assert "foto.png" in seite  # the good file of the same post is kept
    entwurf.refresh_from_db()
    [foto] = entwurf.antworten["belege"]
    assert (foto["name"], foto["typ"], len(foto["blob"])) == ("foto.png", "image/png", 64)
    # a later upload adds to the earlier ones
    antwort = client.post(_schritt(entwurf, "nachweise"), {"f-belege": _png("zweites.png", 30)})
    assert antwort.status_code == 302
    entwurf.refresh_from_db()
    assert [b["name"] for b in entwurf.antworten["belege"]] == ["foto.png", "zweites.png"]
    # the blob ledger knows the draft holds them: a failed upload of the same bytes keeps them
    assert blob_ledger.referenced(foto["blob"])


def _png(name: str, kante: int = 20) -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (kante, kante), (200, 10, 10)).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def test_my_drafts_resume_and_discard(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    entwurf = _beginnen(client, akte, formular)
    seite = client.get(reverse("forms:meine_entwuerfe")).content.decode()
    assert akte.aktenzeichen in seite and _schritt(entwurf, "person") in seite
    verwerfen = reverse("forms:entwurf_verwerfen", args=[entwurf.pk])
    assert client.get(verwerfen).status_code == 200
    entwurf.refresh_from_db()
    assert entwurf.status == Entwurf.Status.OFFEN  # asking is not doing
    assert client.post(verwerfen).status_code == 302
    entwurf.refresh_from_db()
    assert entwurf.status == Entwurf.Status.VERWORFEN
    assert akte.aktenzeichen not in client.get(reverse("forms:meine_entwuerfe")).content.decode()


def test_the_empty_form_downloads_as_pdf(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    url = reverse("forms:leer_pdf", args=[akte.pk, formular.pk])
    antwort = client.get(url)
    assert antwort.status_code == 200
    assert antwort["Content-Type"] == "application/pdf"
    assert antwort.content.startswith(b"%PDF")
    assert "attachment" in antwort["Content-Disposition"]
    assert client.get(url).content == antwort.content  # cached per version


def test_the_empty_form_for_an_akte_carries_its_reply_code(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    """Printed for the Akte (from its page or a Vorgang's), filled in by hand and
    scanned, it is filed there: the QR code names the Akte and the Vorgang."""
    client = signed_in(team_caseworker)
    vorgang = record_factories.vorgang(akte, actor=team_caseworker, title="Antrag 2027")
    wahl = client.get(reverse("forms:akte_formulare", args=[akte.pk]), {"vorgang": vorgang.pk})
    url = reverse("forms:leer_pdf", args=[akte.pk, formular.pk])
    assert f"{url}?vorgang={vorgang.pk}" in wahl.content.decode()
    for query, vorgang_id in (({}, None), ({"vorgang": vorgang.pk}, vorgang.pk)):
        pdf = client.get(url, query).content
        gelesen = [
            antwortcode.decode(c.text, tenant_id=akte.tenant_id)
            for c in codes.read_codes(pdf, [0], despeckle=False)
        ]
        assert gelesen == [
            antwortcode.Antwortcode(
                tenant_id=akte.tenant_id, akte_id=akte.pk, vorgang_id=vorgang_id
            )
        ]


def test_others_see_no_draft(
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    other_team_caseworker: User,
    other_tenant: Mandant,
) -> None:
    entwurf = _beginnen(signed_in(team_caseworker), akte, formular)
    fremd = factories.user(other_tenant, role="sachbearbeitung")
    plan = record_factories.leistungsplan(other_tenant)
    record_factories.akte(caseworker=fremd, plan=plan, unit=factories.root_unit(other_tenant))
    for user in (fremd, other_team_caseworker):
        client = signed_in(user)
        assert client.get(_schritt(entwurf, "person")).status_code == 404
        assert client.get(reverse("forms:entwurf_pruefen", args=[entwurf.pk])).status_code == 404
        assert client.post(reverse("forms:entwurf_verwerfen", args=[entwurf.pk])).status_code == 404
    # the other team's caseworker may not begin a form in this Akte
    client = signed_in(other_team_caseworker)
    assert client.get(reverse("forms:akte_formulare", args=[akte.pk])).status_code == 404
    antwort = client.post(
        reverse("forms:entwurf_beginnen", args=[akte.pk]), {"formular": str(formular.pk)}
    )
    assert antwort.status_code == 404
    # without the right to fill forms at all: the pages refuse
    leser = factories.user(akte.tenant, role="datenschutz")
    assert signed_in(leser).get(reverse("forms:meine_entwuerfe")).status_code in (403, 404)


def test_my_drafts_cost_the_same_queries_for_one_or_many(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    url = reverse("forms:meine_entwuerfe")
    wahl = reverse("forms:akte_formulare", args=[akte.pk])
    services.entwurf_beginnen(actor=team_caseworker, formular=formular, akte=akte)
    client.get(url)  # the session's first request loads what later ones find cached
    eins, eins_wahl = query_count(client, url), query_count(client, wahl)
    for _ in range(3):
        services.entwurf_beginnen(actor=team_caseworker, formular=formular, akte=akte)
    assert query_count(client, url) == eins
    assert query_count(client, wahl) == eins_wahl
