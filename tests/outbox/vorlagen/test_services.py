"""Publishing template versions (trial typesetting, line and column of a typst mistake in
what the admin wrote, immutable numbered versions), four-eyes settings, text blocks and
letterheads, each write audited and refused to anyone but the administration."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.outbox.errors import Forbidden, Invalid
from koffer.outbox.models import Briefkopf, Vorlage, VorlagenVersion
from koffer.outbox.vorlagen import selectors, services
from koffer.outbox.vorlagen.services import BriefkopfAngaben, Einstellungen, Feld
from koffer.tenancy.models import Mandant
from tests import factories
from tests.outbox.vorlagen.conftest import EINSTELLUNGEN, ENTWURF

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    '<rect width="10" height="10" fill="#036"/></svg>'
)


def _publish(as_admin: dict[str, Any], vorlage: Vorlage, **changes: object) -> VorlagenVersion:
    return services.publish_version(
        **as_admin,
        vorlage=vorlage,
        entwurf=replace(ENTWURF, **changes),  # type: ignore[arg-type]
    )


def _actions(tenant: Mandant) -> list[str]:
    return list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action__startswith="outbox.")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_a_published_version_becomes_current_and_keeps_its_translation(
    tenant: Mandant, admin_user: User, vorlage: Vorlage, as_admin: dict[str, Any]
) -> None:
    version = _publish(as_admin, vorlage)
    vorlage.refresh_from_db()
    assert vorlage.aktuelle_version == version
    assert version.nummer == 1
    assert version.created_by == admin_user
    assert '#wert("eingabe.frist");' in version.text_satz
    assert version.felder == [{"key": "frist", "label": "Frist", "typ": "datum"}]
    assert version.anlagen == ["Merkblatt"]
    second = _publish(as_admin, vorlage, betreff="Anhörung (neu)")
    vorlage.refresh_from_db()
    assert (second.nummer, vorlage.aktuelle_version) == (2, second)
    assert [v.nummer for v in selectors.versionen(vorlage)] == [2, 1]
    assert _actions(tenant) == [
        "outbox.vorlage.create",
        "outbox.vorlage.publish",
        "outbox.vorlage.publish",
    ]


def test_a_typst_syntax_error_names_line_and_column_in_the_admins_text(
    tenant: Mandant, vorlage: Vorlage, as_admin: dict[str, Any]
) -> None:
    text = "Sehr geehrte Damen und Herren,\n\nbis {{ eingabe.frist }} bitte\nmelden Sie sich #box[sofort."
    with pytest.raises(Invalid) as caught:
        _publish(as_admin, vorlage, text=text)
    assert caught.value.field == "text"
    assert caught.value.message.startswith("Zeile 4, Spalte 21: ")  # the „[“
    assert "unclosed delimiter" in caught.value.message
    assert not VorlagenVersion.objects.for_tenant(tenant).exists()
    vorlage.refresh_from_db()
    assert vorlage.aktuelle_version is None


def test_a_typst_error_inside_a_text_block_names_the_block(
    vorlage: Vorlage,
    as_admin: dict[str, Any],
) -> None:
    services.create_baustein(
        **as_admin,
        code="rb",
        titel="Rechtsbehelf",
        text="Widerspruch\nbinnen #monat Frist",
    )
    with pytest.raises(Invalid) as caught:
        _publish(as_admin, vorlage, text="Hallo,\n{{ baustein:rb }}")
    assert caught.value.message.startswith("Textbaustein „rb“, Zeile 2, Spalte 9: ")
    assert "unknown variable: monat" in caught.value.message


def test_unknown_placeholders_and_file_reads_are_refused_before_typst(
    vorlage: Vorlage, as_admin: dict[str, Any]
) -> None:
    with pytest.raises(Invalid) as caught:
        _publish(as_admin, vorlage, text="a\n{{ person.hut }}")
    assert caught.value.message.startswith("Zeile 2, Spalte 1: Unbekannter Platzhalter")
    with pytest.raises(Invalid) as read:
        _publish(as_admin, vorlage, text='a #read("settings.py")')
    assert read.value.message.startswith("Zeile 1, Spalte 4: ")


def test_a_version_is_immutable(
    tenant: Mandant, vorlage: Vorlage, as_admin: dict[str, Any]
) -> None:
    version = _publish(as_admin, vorlage)
    # Publishing never touches an old version; the number is unique per template.
    _publish(as_admin, vorlage, text="Ganz anders.")
    version.refresh_from_db()
    assert version.text == ENTWURF.text
    with pytest.raises(DatabaseError), transaction.atomic():  # the database refuses, too
        VorlagenVersion.objects.for_tenant(tenant).filter(pk=version.pk).update(text="anders")
    with pytest.raises(IntegrityError), transaction.atomic():
        VorlagenVersion.objects.create(
            tenant=tenant,
            vorlage=vorlage,
            nummer=1,
            betreff="x",
            text="x",
            text_satz="x",
            created_at=version.created_at,
        )


def test_a_changed_text_block_changes_only_later_versions(
    tenant: Mandant,
    vorlage: Vorlage,
    as_admin: dict[str, Any],
) -> None:
    block = services.create_baustein(**as_admin, code="gruss", titel="Gruß", text="Alt")
    first = _publish(as_admin, vorlage, text="{{ baustein:gruss }}")
    services.change_baustein(
        **as_admin,
        baustein=block,
        titel="Gruß",
        text="Neu",
    )
    second = _publish(as_admin, vorlage, text="{{ baustein:gruss }}")
    first.refresh_from_db()
    assert (first.text_satz, second.text_satz) == ("Alt", "Neu")
    services.deactivate_baustein(**as_admin, baustein=block)
    with pytest.raises(Invalid, match="Unbekannter Textbaustein „gruss“"):
        _publish(as_admin, vorlage, text="{{ baustein:gruss }}")
    assert _actions(tenant)[-2:] == ["outbox.vorlage.publish", "outbox.textbaustein.deactivate"]


def test_a_text_block_with_a_mistake_is_refused_with_its_position(as_admin: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as caught:
        services.create_baustein(
            **as_admin,
            code="rb",
            titel="Rechtsbehelf",
            text="Zeile\n  {{ person.unbekannt }}",
        )
    assert caught.value.field == "text"
    assert caught.value.message.startswith("Textbaustein „rb“, Zeile 2, Spalte 3: ")


@pytest.mark.parametrize(
    ("modus", "ab", "stored"),
    [
        (services.VierAugen.NIE, None, (False, None)),
        (services.VierAugen.IMMER, Decimal("99"), (True, None)),
        (services.VierAugen.AB_BETRAG, Decimal("5000"), (True, Decimal("5000.00"))),
    ],
)
def test_four_eyes_never_always_or_from_an_amount(
    modus: str,
    ab: Decimal | None,
    stored: tuple[bool, Decimal | None],
    as_admin: dict[str, Any],
) -> None:
    row = services.create_vorlage(
        **as_admin,
        code="bescheid",
        einstellungen=replace(EINSTELLUNGEN, art="bescheid", vier_augen=modus, vier_augen_ab=ab),
    )
    row.refresh_from_db()
    assert (row.vier_augen, row.vier_augen_ab) == stored
    assert services.vier_augen_modus(row) == modus


def test_four_eyes_from_an_amount_needs_the_amount_and_an_amount_field(
    vorlage: Vorlage, as_admin: dict[str, Any]
) -> None:
    ab_betrag = replace(EINSTELLUNGEN, vier_augen=services.VierAugen.AB_BETRAG)
    with pytest.raises(Invalid) as missing:
        services.change_vorlage(
            **as_admin,
            vorlage=vorlage,
            einstellungen=ab_betrag,
        )
    assert missing.value.field == "vier_augen_ab"
    _publish(as_admin, vorlage)  # no amount field
    with pytest.raises(Invalid) as no_field:
        services.change_vorlage(
            **as_admin,
            vorlage=vorlage,
            einstellungen=replace(ab_betrag, vier_augen_ab=Decimal("5000")),
        )
    assert no_field.value.code == "betrag_missing"
    _publish(
        as_admin,
        vorlage,
        felder=[Feld("betrag", "Betrag", "betrag")],
        text="Betrag: {{ eingabe.betrag }}",
    )
    changed = services.change_vorlage(
        **as_admin,
        vorlage=vorlage,
        einstellungen=replace(ab_betrag, vier_augen_ab=Decimal("5000")),
    )
    assert (changed.vier_augen, changed.vier_augen_ab) == (True, Decimal("5000.00"))
    with pytest.raises(Invalid, match="Betrag"):
        _publish(as_admin, vorlage)  # the amount field dropped again


def test_the_database_refuses_an_amount_without_four_eyes(vorlage: Vorlage) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Vorlage.objects.for_tenant(vorlage.tenant_id).filter(pk=vorlage.pk).update(
            vier_augen=False, vier_augen_ab=Decimal("10")
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"betreff": "Ihr Zeichen {{ akte.aktenzeichen }}"}, "betreff"),
        (
            {"felder": [Feld("frist", "Frist", "datum"), Feld("frist", "Noch mal", "text")]},
            "felder",
        ),
        ({"felder": [Feld("Frist!", "Frist", "datum")]}, "felder"),
        ({"felder": [Feld("frist", "Frist", "uhrzeit")]}, "felder"),
        ({"anlagen": ["x" * 201]}, "anlagen"),
        ({"text": "   \n"}, "text"),
    ],
)
def test_a_draft_with_a_mistake_names_its_field(
    vorlage: Vorlage, changes: dict[str, object], field: str, as_admin: dict[str, Any]
) -> None:
    with pytest.raises(Invalid) as caught:
        _publish(as_admin, vorlage, **changes)
    assert caught.value.field == field


def test_only_the_administration_manages_templates(
    tenant: Mandant, caseworker: User, vorlage: Vorlage
) -> None:
    access = Access.for_user(caseworker.pk, tenant.pk)
    with pytest.raises(Forbidden):
        _publish({"actor": caseworker, "access": access, "tenant": tenant}, vorlage)
    with pytest.raises(Forbidden):
        services.create_baustein(
            actor=caseworker, access=access, tenant=tenant, code="x", titel="x", text="x"
        )
    with pytest.raises(Forbidden):
        services.save_briefkopf(
            actor=caseworker,
            access=access,
            tenant=tenant,
            unit=None,
            angaben=BriefkopfAngaben("Kreis", "Weg 1\n12345 Ort", "Kreis · Weg 1 · 12345 Ort"),
        )


# --- Letterheads --------------------------------------------------------------------------


def _head(**changes: object) -> BriefkopfAngaben:
    return replace(
        BriefkopfAngaben(
            behoerde="Landkreis Prüfstadt",
            anschrift="Kreishausplatz 1\n12340 Prüfstadt",
            ruecksendeangabe="Landkreis Prüfstadt · Kreishausplatz 1 · 12340 Prüfstadt",
            logo_svg=LOGO,
        ),
        **changes,  # type: ignore[arg-type]
    )


def test_a_letter_takes_its_units_head_else_the_nearest_ancestors_else_the_default(
    tenant: Mandant, as_admin: dict[str, Any]
) -> None:
    amt = factories.unit(tenant, "Jugendamt")
    team = factories.unit(tenant, "ASD Nord", parent=amt)
    other = factories.unit(tenant, "Sozialamt")
    assert selectors.briefkopf_fuer(team) is None

    def save(unit: object, name: str) -> Briefkopf:
        return services.save_briefkopf(
            **as_admin,
            unit=unit,
            angaben=_head(abteilung=name),  # type: ignore[arg-type]
        )

    default = save(None, "")
    assert selectors.briefkopf_fuer(team) == default
    jugendamt = save(amt, "Jugendamt")
    assert selectors.briefkopf_fuer(team) == jugendamt
    assert selectors.briefkopf_fuer(other) == default
    own = save(team, "ASD Nord")
    assert selectors.briefkopf_fuer(team) == own
    again = save(team, "ASD Nord (neu)")
    assert again.pk == own.pk
    assert Briefkopf.objects.for_tenant(tenant).count() == 3
    assert _actions(tenant) == [
        "outbox.briefkopf.create",
        "outbox.briefkopf.create",
        "outbox.briefkopf.create",
        "outbox.briefkopf.change",
    ]


def test_the_return_line_must_fit_the_window(as_admin: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as caught:
        services.save_briefkopf(
            **as_admin,
            unit=None,
            angaben=_head(ruecksendeangabe="x" * 81),
        )
    assert caught.value.field == "ruecksendeangabe"
    assert "81 Zeichen" in caught.value.message


@pytest.mark.parametrize(
    ("svg", "words"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        ('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>', "Skript"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            '<image xlink:href="https://example.org/a.png"/></svg>',
            "außerhalb",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(file:///x)"/></svg>',
            "außerhalb",
        ),
        (
            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
            "",
        ),
        ("<html/>", "keine SVG"),
        ("kein xml", "keine gültige"),
        ('<svg xmlns="http://www.w3.org/2000/svg">' + " " * 205_000 + "</svg>", "200 kB"),
    ],
)
def test_a_logo_is_a_plain_drawing(
    svg: str,
    words: str,
    as_admin: dict[str, Any],
) -> None:
    with pytest.raises(Invalid) as caught:
        services.save_briefkopf(
            **as_admin,
            unit=None,
            angaben=_head(logo_svg=svg),
        )
    assert caught.value.field == "logo"
    assert words in caught.value.message


def test_a_logo_is_kept_removed_or_replaced(as_admin: dict[str, Any]) -> None:
    def save(logo: str | None) -> Briefkopf:
        return services.save_briefkopf(
            **as_admin,
            unit=None,
            angaben=_head(logo_svg=logo),
        )

    assert save(LOGO).logo_svg == LOGO
    assert save(None).logo_svg == LOGO
    assert save("").logo_svg == ""


def test_a_unit_of_another_mandant_is_refused(
    other_tenant: Mandant,
    as_admin: dict[str, Any],
) -> None:
    with pytest.raises(Forbidden):
        services.save_briefkopf(
            **as_admin,
            unit=factories.root_unit(other_tenant),
            angaben=_head(),
        )


def test_settings_are_audited(
    tenant: Mandant,
    vorlage: Vorlage,
    as_admin: dict[str, Any],
) -> None:
    services.change_vorlage(
        **as_admin,
        vorlage=vorlage,
        einstellungen=Einstellungen("Anhörung neu", "brief", "sgb2", "A", services.VierAugen.IMMER),
    )
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.vorlage.change").get()
    assert event.changes["form"] == {"old": "B", "new": "A"}
    assert event.changes["vier_augen"] == {"old": False, "new": True}


@pytest.mark.parametrize(
    "text",
    [
        "#for i in range(20000000) {}",  # CPU: stopped by the child's limit
        "#let viele = range(300000000)",  # memory: a few GB asked for
    ],
)
def test_a_text_that_asks_too_much_is_a_mistake_not_a_busy_worker(
    vorlage: Vorlage, as_admin: dict[str, Any], settings: Any, text: str
) -> None:
    settings.KOFFER_PROBESATZ_SECONDS = 1
    started = time.monotonic()
    with pytest.raises(Invalid, match="braucht zu lange oder zu viel Speicher"):
        _publish(as_admin, vorlage, text=text)
    assert time.monotonic() - started < 10
