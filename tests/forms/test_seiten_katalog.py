"""The catalogue's pages for the administration: the list (query count pinned), the import
with its findings by path and the pasted text kept, a new version only when the JSON
changed, a preview of every step of every demo form, the empty PDF, the JSON export that
imports again as unchanged, (de)activation, and no access for a caseworker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.demo.formulare import definitionen, voraussetzungen
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.katalog import selectors
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Formular, Formularversion
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant
from tests.conftest import query_count, signed_in
from tests.forms.formkern import admin_access, akte, definition, formular, ohne_feld

__all__ = ["admin_access", "akte", "formular"]

KATALOG = reverse("forms:katalog")
IMPORT = reverse("forms:import")


def _importieren(client: Client, daten: Any) -> Any:
    return client.post(IMPORT, {"text": json.dumps(daten, ensure_ascii=False)})


def test_the_list_shows_every_form_with_its_version_drafts_and_submissions_in_few_queries(
    admin_client: Client,
    admin_user: User,
    admin_access: Access,
    tenant: Mandant,
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
) -> None:
    ausfuellen.entwurf_beginnen(actor=team_caseworker, formular=formular, akte=akte)
    query_count(admin_client, KATALOG)  # the session's first page reads more, once
    one = query_count(admin_client, KATALOG)
    body = admin_client.get(KATALOG).content.decode()
    assert "Weiterbewilligungsantrag (Test)" in body and "wba-test" in body
    assert "Grundsicherung für Arbeitsuchende" in body or "SGB II" in body
    for schluessel in ("zwei", "drei", "vier"):
        [neu] = katalog.importieren(
            actor=admin_user, access=admin_access, tenant=tenant, daten=definition(schluessel)
        )
        ausfuellen.entwurf_beginnen(actor=team_caseworker, formular=neu.formular, akte=akte)
    katalog.deaktivieren(
        actor=admin_user,
        access=admin_access,
        tenant=tenant,
        formular=selectors.formular(tenant.pk, "vier"),  # type: ignore[arg-type]
    )
    assert query_count(admin_client, KATALOG) == one
    assert one <= 12
    zeilen = admin_client.get(KATALOG).content.decode().split('<tr class="kern-table__row">')[2:]
    assert len(zeilen) == 4
    assert all('<td class="kern-table__cell">1</td>' in zeile for zeile in zeilen)
    assert sum("inaktiv" in zeile for zeile in zeilen) == 1


def test_an_import_creates_a_version_and_a_new_one_only_when_changed(
    admin_client: Client, tenant: Mandant, plan: Aktenplaneinheit
) -> None:
    assert admin_client.get(IMPORT).status_code == 200
    response = _importieren(admin_client, definition())
    assert response.status_code == 302 and response["Location"] == KATALOG
    page = admin_client.get(KATALOG).content.decode()
    assert "Neue Version: „Weiterbewilligungsantrag (Test)“ (Version 1)" in page
    _importieren(admin_client, [definition()])
    assert "Unverändert (keine neue Version): „Weiterbewilligungsantrag (Test)“" in (
        admin_client.get(KATALOG).content.decode()
    )
    datei = SimpleUploadedFile(
        "wba.json",
        json.dumps(ohne_feld(definition(), "bemerkung")).encode(),
        content_type="application/json",
    )
    response = admin_client.post(IMPORT, {"datei": datei, "text": ""})
    assert response.status_code == 302
    assert list(
        Formularversion.objects.for_tenant(tenant)
        .order_by("nummer")
        .values_list("nummer", flat=True)
    ) == [1, 2]


def test_a_bad_import_lists_each_finding_with_its_path_and_keeps_the_text(
    admin_client: Client, tenant: Mandant, plan: Aktenplaneinheit
) -> None:
    kaputt = definition("kaputt")
    kaputt["schritte"][0]["felder"][0]["typ"] = "unbekannt"
    text = json.dumps([definition("gut"), kaputt], ensure_ascii=False, indent=2)
    response = admin_client.post(IMPORT, {"text": text})
    body = response.content.decode()
    assert response.status_code == 400
    assert "<code>[1].schritte[0].felder[0]" in body
    assert "nichts wurde gespeichert" in body
    # the text area holds the pasted JSON as it was (escaped in HTML)
    assert "&quot;schluessel&quot;: &quot;kaputt&quot;" in body
    assert not Formular.objects.for_tenant(tenant).exists()
    # not JSON at all: said with line and column, the text kept
    response = admin_client.post(IMPORT, {"text": '{"format": 1,'})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Kein gültiges JSON" in body and "Zeile 1" in body
    assert "{&quot;format&quot;: 1,</textarea>" in body
    # a broken file: its text lands in the text area to be corrected there
    datei = SimpleUploadedFile("x.json", b'{"format": 2}', content_type="application/json")
    body = admin_client.post(IMPORT, {"datei": datei}).content.decode()
    assert "{&quot;format&quot;: 2}</textarea>" in body
    assert "<code>format</code>" in body


def _demo_katalog(admin_user: User, admin_access: Access, tenant: Mandant) -> list[Any]:
    daten = definitionen()
    for eintrag in daten:
        voraussetzungen(admin_user, tenant, eintrag)
    return katalog.importieren(actor=admin_user, access=admin_access, tenant=tenant, daten=daten)


def test_every_step_of_every_demo_form_previews(
    admin_client: Client, admin_user: User, admin_access: Access, tenant: Mandant
) -> None:
    ergebnis = _demo_katalog(admin_user, admin_access, tenant)
    assert len(ergebnis) >= 7
    for eintrag in ergebnis:
        row, version = eintrag.formular, eintrag.version
        seite = admin_client.get(reverse("forms:formular", args=[row.schluessel]))
        assert seite.status_code == 200 and "Version 1 (aktuell)" in seite.content.decode()
        anfang = admin_client.get(reverse("forms:vorschau_anfang", args=[row.schluessel, 1]))
        assert anfang.status_code == 200
        definition_ = selectors.definition(version)
        for schritt in definition_.schritte:
            url = reverse("forms:vorschau", args=[row.schluessel, 1, schritt.id])
            response = admin_client.get(url)
            body = response.content.decode()
            assert response.status_code == 200, url
            for andere in definition_.schritte:
                assert escape(andere.titel["de"]) in body, (url, andere.id)
            assert "Probe-Eingabe prüfen" in body


def test_a_trial_input_shows_errors_and_saves_nothing(
    admin_client: Client, formular: Formular, tenant: Mandant
) -> None:
    url = reverse("forms:vorschau", args=["wba-test", 1, "haushalt"])
    before = AuditEvent.objects.count()
    body = admin_client.post(url, {"f-umgezogen": "ja"}).content.decode()
    assert ("Umzug am" in body and "Bitte prüfen" in body) or "kern-error" in body
    body = admin_client.post(url, {"f-umgezogen": "nein"}).content.decode()
    assert "Probe-Eingabe ohne Fehler" in body
    assert AuditEvent.objects.count() == before
    assert admin_client.get(url.replace("haushalt", "gibt_es_nicht")).status_code == 404
    assert (
        admin_client.get(reverse("forms:vorschau", args=["wba-test", 9, "person"])).status_code
        == 404
    )


def test_the_empty_form_downloads_as_pdf(admin_client: Client, formular: Formular) -> None:
    response = admin_client.get(reverse("forms:leer_pdf", args=["wba-test", 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "formular-wba-test-version-1-leer.pdf" in response["Content-Disposition"]


def test_the_export_imports_again_as_unchanged(
    admin_client: Client, admin_user: User, admin_access: Access, tenant: Mandant
) -> None:
    _demo_katalog(admin_user, admin_access, tenant)
    einzeln = admin_client.get(reverse("forms:formular_export", args=["freie-notiz"]))
    assert einzeln.status_code == 200
    assert "formular-freie-notiz-version-1.json" in einzeln["Content-Disposition"]
    assert json.loads(einzeln.content)["schluessel"] == "freie-notiz"
    alle = admin_client.get(reverse("forms:katalog_export"))
    assert alle["Content-Type"].startswith("application/json")
    daten = json.loads(alle.content)
    datei = SimpleUploadedFile("katalog.json", alle.content, content_type="application/json")
    response = admin_client.post(IMPORT, {"datei": datei})
    assert response.status_code == 302
    page = admin_client.get(KATALOG).content.decode()
    assert "Neue Version" not in page and "Unverändert" in page
    assert Formularversion.objects.for_tenant(tenant).count() == len(daten)
    schema = admin_client.get(reverse("forms:schema"))
    assert json.loads(schema.content)["$schema"].startswith("https://json-schema.org/")


def test_deactivating_hides_the_form_from_the_chooser_and_activating_brings_it_back(
    admin_client: Client, formular: Formular, tenant: Mandant
) -> None:
    url = reverse("forms:status", args=["wba-test"])
    assert "Ja, deaktivieren" in admin_client.get(url).content.decode()
    assert admin_client.post(url).status_code == 302
    assert not selectors.katalog(tenant.pk).filter(pk=formular.pk).exists()
    page = admin_client.get(reverse("forms:formular", args=["wba-test"])).content.decode()
    assert "ist deaktiviert" in page and "Aktivieren" in page
    assert "Ja, aktivieren" in admin_client.get(url).content.decode()
    admin_client.post(url)
    assert selectors.katalog(tenant.pk).filter(pk=formular.pk).exists()
    actions = list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action__startswith="forms.formular.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["forms.formular.deactivate", "forms.formular.activate"]


@pytest.mark.parametrize(
    "name",
    [
        "forms:katalog",
        "forms:import",
        "forms:katalog_export",
        "forms:formular",
        "forms:status",
        "forms:formular_export",
        "forms:leer_pdf",
    ],
)
def test_a_caseworker_may_not(
    name: str, caseworker: User, formular: Formular, tenant: Mandant
) -> None:
    args: list[Any] = {
        "forms:formular": ["wba-test"],
        "forms:status": ["wba-test"],
        "forms:formular_export": ["wba-test"],
        "forms:leer_pdf": ["wba-test", 1],
    }.get(name, [])
    client = signed_in(caseworker)
    assert client.get(reverse(name, args=args)).status_code in (403, 404)
    if name == "forms:status":
        assert client.post(reverse(name, args=args)).status_code in (403, 404)
        assert Formular.objects.for_tenant(tenant).get(pk=formular.pk).is_active


def test_another_mandants_form_is_not_found(formular: Formular, other_tenant: Mandant) -> None:
    from tests import factories

    fremd = signed_in(factories.user(other_tenant, role="mandant_admin"))
    assert fremd.get(reverse("forms:formular", args=["wba-test"])).status_code == 404
    assert fremd.get(reverse("forms:leer_pdf", args=["wba-test", 1])).status_code == 404


def test_a_form_is_changed_in_the_browser_and_becomes_its_next_version(
    admin_client: Client, admin_user: User, admin_access: Access, tenant: Mandant
) -> None:
    _demo_katalog(admin_user, admin_access, tenant)
    seite = admin_client.get(reverse("forms:formular", args=["freie-notiz"])).content.decode()
    assert f"{IMPORT}?von=freie-notiz" in seite
    body = admin_client.get(IMPORT, {"von": "freie-notiz"}).content.decode()
    assert "&quot;schluessel&quot;: &quot;freie-notiz&quot;" in body
    daten = katalog.exportieren(
        actor=admin_user, access=admin_access, tenant=tenant, schluessel="freie-notiz"
    )[0]
    daten["titel"] = {"de": "Formlose Nachricht (geändert)"}
    response = admin_client.post(IMPORT, {"text": json.dumps(daten, ensure_ascii=False)})
    assert response.status_code == 302
    row = Formular.objects.for_tenant(tenant).get(schluessel="freie-notiz")
    assert row.aktuelle_version is not None and row.aktuelle_version.nummer == 2
    assert admin_client.get(IMPORT, {"von": "gibt-es-nicht"}).status_code == 404
