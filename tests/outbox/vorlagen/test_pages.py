"""The template pages: the administration sees and edits, a caseworker gets 403, a
mistake is shown at its field with „Zeile X, Spalte Y“ and the input kept."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage, VorlagenVersion
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import query_count, signed_in

TEXT = "Sehr geehrte Damen und Herren,\r\n\r\nbitte melden Sie sich bis zum {{ eingabe.frist }}."


def _publish(client: Client, vorlage: Vorlage, text: str = TEXT) -> object:
    return client.post(
        reverse("outbox:vorlage_version_neu", args=[vorlage.pk]),
        {
            "betreff": "Anhörung",
            "text": text,
            "felder": "frist | Frist zur Äußerung | datum",
            "anlagen": "Merkblatt\r\nBerechnungsbogen",
        },
    )


def test_the_administration_creates_a_template_and_publishes_versions(
    admin_client: Client, tenant: Mandant
) -> None:
    response = admin_client.post(
        reverse("outbox:vorlage_neu"),
        {
            "code": "anhoerung",
            "titel": "Anhörung",
            "art": "brief",
            "module": "sgb2",
            "form": "B",
            "vier_augen": "nie",
        },
    )
    vorlage = Vorlage.objects.for_tenant(tenant).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outbox:vorlage_version_neu", args=[vorlage.pk])
    response = _publish(admin_client, vorlage)
    assert response.status_code == 302  # type: ignore[attr-defined]
    version = VorlagenVersion.objects.for_tenant(tenant).get()
    assert version.anlagen == ["Merkblatt", "Berechnungsbogen"]
    page = admin_client.get(reverse("outbox:vorlage", args=[vorlage.pk])).content.decode()
    assert "Version 1" in page and "(aktuell)" in page
    old = admin_client.get(reverse("outbox:vorlage_version", args=[vorlage.pk, 1]))
    assert "bitte melden Sie sich" in old.content.decode()
    # the editor starts from the current version and lists the catalogue as help
    editor = admin_client.get(reverse("outbox:vorlage_version_neu", args=[vorlage.pk]))
    body = editor.content.decode()
    assert "frist | Frist zur Äußerung | datum" in body
    assert "person.name" in body and "Aktenzeichen" in body
    assert (
        admin_client.get(reverse("outbox:vorlage_version", args=[vorlage.pk, 9])).status_code == 404
    )


def test_a_typst_mistake_is_shown_at_the_text_field_with_the_input_kept(
    admin_client: Client, tenant: Mandant
) -> None:
    admin_client.post(
        reverse("outbox:vorlage_neu"),
        {"code": "a", "titel": "A", "art": "brief", "module": "", "form": "B", "vier_augen": "nie"},
    )
    vorlage = Vorlage.objects.for_tenant(tenant).get()
    broken = "Hallo,\r\n\r\ndas ist *nicht geschlossen."
    response = _publish(admin_client, vorlage, broken)
    body = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert 'id="id_text-error"' in body
    assert "Zeile 3, Spalte 9:" in body
    assert "das ist *nicht geschlossen." in body  # the admin's input is kept
    assert not VorlagenVersion.objects.for_tenant(tenant).exists()


def test_text_blocks_are_listed_created_edited_and_deactivated(
    admin_client: Client, tenant: Mandant
) -> None:
    response = admin_client.post(
        reverse("outbox:baustein_neu"),
        {"code": "rb", "titel": "Rechtsbehelf", "text": "Widerspruch\r\n{{ person.falsch }}"},
    )
    assert response.status_code == 400
    assert "Textbaustein „rb“, Zeile 2, Spalte 1:" in response.content.decode()
    admin_client.post(
        reverse("outbox:baustein_neu"),
        {"code": "rb", "titel": "Rechtsbehelf", "text": "Widerspruch binnen eines Monats."},
    )
    block = Textbaustein.objects.for_tenant(tenant).get()
    assert "Rechtsbehelf" in admin_client.get(reverse("outbox:bausteine")).content.decode()
    response = admin_client.post(
        reverse("outbox:baustein", args=[block.pk]),
        {"titel": "Rechtsbehelf SGB II", "text": "Neu."},
    )
    assert response.status_code == 302
    assert (
        admin_client.get(reverse("outbox:baustein_deaktivieren", args=[block.pk])).status_code
        == 405
    )
    admin_client.post(reverse("outbox:baustein_deaktivieren", args=[block.pk]))
    block.refresh_from_db()
    assert (block.titel, block.text, block.is_active) == ("Rechtsbehelf SGB II", "Neu.", False)


def test_letterheads_of_the_mandant_and_a_unit(admin_client: Client, tenant: Mandant) -> None:
    unit = factories.unit(tenant, "Jugendamt")
    listing = admin_client.get(reverse("outbox:briefkoepfe")).content.decode()
    assert reverse("outbox:briefkopf_einheit", args=[unit.pk]) in listing
    data = {
        "behoerde": "Landkreis Prüfstadt",
        "abteilung": "Jugendamt",
        "anschrift": "Am Park 4\r\n12340 Prüfstadt",
        "ruecksendeangabe": "Landkreis Prüfstadt · Am Park 4 · 12340 Prüfstadt",
        "logo": SimpleUploadedFile(
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4" fill="red"/></svg>',
            content_type="image/svg+xml",
        ),
    }
    response = admin_client.post(reverse("outbox:briefkopf_einheit", args=[unit.pk]), data)
    assert response.status_code == 302
    head = Briefkopf.objects.for_tenant(tenant).get()
    assert (head.unit, head.anschrift) == (unit, "Am Park 4\n12340 Prüfstadt")
    assert head.logo_svg.startswith("<svg")
    bad = {**data, "ruecksendeangabe": "x" * 80 + " zu lang", "logo": ""}
    response = admin_client.post(reverse("outbox:briefkopf_standard"), bad)
    assert response.status_code == 400
    assert 'id="id_ruecksendeangabe-error"' in response.content.decode()
    script = SimpleUploadedFile(
        "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
    )
    response = admin_client.post(reverse("outbox:briefkopf_standard"), {**data, "logo": script})
    assert response.status_code == 400
    assert 'id="id_logo-error"' in response.content.decode()
    latin1 = SimpleUploadedFile("logo.svg", "<svg>Ä</svg>".encode("latin-1"))
    response = admin_client.post(reverse("outbox:briefkopf_standard"), {**data, "logo": latin1})
    assert "keine SVG-Datei in UTF-8" in response.content.decode()
    head.refresh_from_db()
    assert head.logo_svg.startswith("<svg")  # a refused upload changes nothing


@pytest.mark.parametrize(
    "name",
    ["vorlagen", "vorlage_neu", "bausteine", "baustein_neu", "briefkoepfe", "briefkopf_standard"],
)
def test_a_caseworker_gets_403(caseworker: User, name: str) -> None:
    assert signed_in(caseworker).get(reverse(f"outbox:{name}")).status_code == 403


def test_a_mandant_without_outbox_has_no_template_pages(db: None) -> None:
    traeger = factories.mandant("Träger", kind=Mandant.Kind.TRAEGER)
    admin = factories.user(traeger, role="mandant_admin")
    assert signed_in(admin).get(reverse("outbox:vorlagen")).status_code == 403


def test_the_list_costs_the_same_for_one_template_or_ten(
    admin_client: Client, tenant: Mandant
) -> None:
    def add(code: str) -> None:
        admin_client.post(
            reverse("outbox:vorlage_neu"),
            {
                "code": code,
                "titel": code,
                "art": "brief",
                "module": "",
                "form": "B",
                "vier_augen": "nie",
            },
        )
        _publish(admin_client, Vorlage.objects.for_tenant(tenant).get(code=code))

    add("v0")
    one = query_count(admin_client, reverse("outbox:vorlagen"))
    for n in range(1, 10):
        add(f"v{n}")
    assert query_count(admin_client, reverse("outbox:vorlagen")) == one
