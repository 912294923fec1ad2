"""Demo data of the Postausgang: letterheads (with a simple drawn logo) for the Kreis, its
Jugendamt and Sozialamt, the Jobcenter and the Stadt; the text blocks every Bescheid needs
(the Rechtsbehelfsbelehrung per law book, the consequences of not cooperating, § 66 SGB
I); and the templates a Jobcenter, a Jugendamt and a Sozialamt use every day: Anhörung
(§ 24 SGB X), Aufforderung zur Mitwirkung (§§ 60, 66 SGB I), Bewilligungsbescheid with
Rechtsbehelfsbelehrung (four eyes from 5,000 EUR) and Eingangsbestätigung. Every template
is published through the same check an administrator's text passes. Names and addresses
are invented."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from koffer.accounts.models import User
from koffer.outbox.vorlagen import services
from koffer.outbox.vorlagen.services import BriefkopfAngaben, Einstellungen, Entwurf, Feld
from koffer.tenancy.models import Mandant, Organisationseinheit

JOBCENTER = "jobcenter-musterland"
KREIS = "landkreis-musterland"
STADT = "stadt-beispielstadt"
VIER_AUGEN_AB = Decimal("5000.00")


def _logo(fill: str, accent: str) -> str:
    """A shield with a wave and three dots: a made-up coat of arms."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 140" width="120" height="140">'
        f'<path d="M10 10 H110 V70 C110 110 60 132 60 132 C60 132 10 110 10 70 Z" fill="{fill}"/>'
        f'<path d="M18 72 C38 58 50 86 70 72 C86 61 96 74 102 70 V82 C92 88 84 76 70 86 '
        f'C50 100 38 70 18 86 Z" fill="{accent}"/>'
        f'<circle cx="40" cy="38" r="8" fill="{accent}"/>'
        f'<circle cx="60" cy="30" r="8" fill="{accent}"/>'
        f'<circle cx="80" cy="38" r="8" fill="{accent}"/>'
        "</svg>"
    )


KREIS_LOGO = _logo("#00386b", "#ffd400")
JOBCENTER_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 140 60" width="140" height="60">'
    '<rect x="0" y="0" width="60" height="60" rx="6" fill="#b31b1b"/>'
    '<rect x="12" y="12" width="16" height="36" fill="#ffffff"/>'
    '<rect x="32" y="12" width="16" height="16" fill="#ffffff"/>'
    '<rect x="70" y="14" width="70" height="10" fill="#4a4a4a"/>'
    '<rect x="70" y="34" width="50" height="10" fill="#8a8a8a"/>'
    "</svg>"
)
STADT_LOGO = _logo("#2e6b30", "#ffffff")

KREIS_ANSCHRIFT = "Kreishausplatz 1\n12340 Musterstadt"
KREIS_BANK = "Sparkasse Musterland\nIBAN DE02 1203 0000 0000 2020 51\nBIC BYLADEM1001"

# Mandant, unit (None: the default), letterhead
BRIEFKOEPFE: list[tuple[str, str | None, BriefkopfAngaben]] = [
    (
        KREIS,
        None,
        BriefkopfAngaben(
            behoerde="Landkreis Musterland",
            anschrift=KREIS_ANSCHRIFT,
            ruecksendeangabe="Landkreis Musterland · Kreishausplatz 1 · 12340 Musterstadt",
            telefon="01234 5678-0",
            internet="www.landkreis-musterland.example",
            oeffnungszeiten="Mo–Fr 8:00–12:00 Uhr\nDo 14:00–18:00 Uhr",
            bankverbindung=KREIS_BANK,
            logo_svg=KREIS_LOGO,
        ),
    ),
    (
        KREIS,
        "Jugendamt",
        BriefkopfAngaben(
            behoerde="Landkreis Musterland",
            abteilung="Jugendamt",
            anschrift="Am Stadtpark 4\n12340 Musterstadt",
            ruecksendeangabe="Jugendamt Musterland · Am Stadtpark 4 · 12340 Musterstadt",
            telefon="01234 5678-400",
            email="jugendamt@landkreis-musterland.example",
            internet="www.landkreis-musterland.example/jugendamt",
            oeffnungszeiten="Mo–Fr 8:00–12:00 Uhr\nDi 14:00–17:00 Uhr und nach Vereinbarung",
            bankverbindung=KREIS_BANK,
            logo_svg=KREIS_LOGO,
        ),
    ),
    (
        KREIS,
        "Sozialamt",
        BriefkopfAngaben(
            behoerde="Landkreis Musterland",
            abteilung="Sozialamt",
            anschrift=KREIS_ANSCHRIFT,
            ruecksendeangabe="Sozialamt Musterland · Kreishausplatz 1 · 12340 Musterstadt",
            telefon="01234 5678-500",
            email="sozialamt@landkreis-musterland.example",
            internet="www.landkreis-musterland.example/sozialamt",
            oeffnungszeiten="Mo, Di, Fr 8:00–12:00 Uhr\nDo 14:00–18:00 Uhr",
            bankverbindung=KREIS_BANK,
            logo_svg=KREIS_LOGO,
        ),
    ),
    (
        JOBCENTER,
        None,
        BriefkopfAngaben(
            behoerde="Jobcenter Musterland",
            anschrift="Agenturstraße 12\n12341 Musterstadt",
            ruecksendeangabe="Jobcenter Musterland · Agenturstraße 12 · 12341 Musterstadt",
            telefon="01234 9876-0",
            email="jobcenter-musterland@jobcenter.example",
            internet="www.jobcenter-musterland.example",
            oeffnungszeiten="Mo–Mi, Fr 8:00–12:30 Uhr\nDo 8:00–18:00 Uhr",
            bankverbindung="Bundesbank Filiale Musterstadt\nIBAN DE45 1000 0000 0012 3455 67\n"
            "BIC MARKDEF1100",
            logo_svg=JOBCENTER_LOGO,
        ),
    ),
    (
        STADT,
        None,
        BriefkopfAngaben(
            behoerde="Stadt Beispielstadt",
            abteilung="Bürgerbüro",
            anschrift="Rathausplatz 1\n12350 Beispielstadt",
            ruecksendeangabe="Stadt Beispielstadt · Rathausplatz 1 · 12350 Beispielstadt",
            telefon="01235 100-0",
            internet="www.beispielstadt.example",
            oeffnungszeiten="Mo–Fr 8:00–12:00 Uhr",
            logo_svg=STADT_LOGO,
        ),
    ),
]


def _rechtsbehelf(behoerde: str, anschrift: str, gesetz: str) -> str:
    return (
        "*Rechtsbehelfsbelehrung*\n\n"
        f"Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch "
        f"erhoben werden. Der Widerspruch ist schriftlich oder zur Niederschrift bei "
        f"{behoerde}, {anschrift}, einzulegen. Die Leistungen nach dem {gesetz} werden bis zur "
        "Entscheidung über den Widerspruch so erbracht, wie sie in diesem Bescheid "
        "festgesetzt sind."
    )


MITWIRKUNGSFOLGEN = (
    "*Hinweis auf die Folgen fehlender Mitwirkung*\n\n"
    "Wer eine Sozialleistung beantragt oder erhält, muss alle Tatsachen angeben, die für die "
    "Leistung erheblich sind, und auf Verlangen Beweisurkunden vorlegen (§ 60 Erstes Buch "
    "Sozialgesetzbuch – SGB I). Kommen Sie dieser Pflicht bis zum {{ eingabe.frist }} nicht "
    "nach und wird hierdurch die Aufklärung des Sachverhalts erheblich erschwert, kann die "
    "Leistung ohne weitere Ermittlungen bis zur Nachholung der Mitwirkung ganz oder "
    "teilweise versagt oder entzogen werden (§ 66 Abs. 1 und 3 SGB I). Holen Sie die "
    "Mitwirkung nach, kann die Leistung nachträglich ganz oder teilweise erbracht werden "
    "(§ 67 SGB I)."
)

# Mandant, code, title, text
BAUSTEINE: list[tuple[str, str, str, str]] = [
    (
        JOBCENTER,
        "rechtsbehelf-sgb2",
        "Rechtsbehelfsbelehrung (SGB II)",
        _rechtsbehelf(
            "dem Jobcenter Musterland",
            "Agenturstraße 12, 12341 Musterstadt",
            "Zweiten Buch Sozialgesetzbuch (SGB II)",
        )
        + " Widerspruch und Anfechtungsklage gegen einen Bescheid, der Leistungen aufhebt, "
        "zurücknimmt, widerruft oder herabsetzt, haben keine aufschiebende Wirkung "
        "(§ 39 SGB II).",
    ),
    (JOBCENTER, "mitwirkungsfolgen", "Folgen fehlender Mitwirkung (§ 66 SGB I)", MITWIRKUNGSFOLGEN),
    (
        KREIS,
        "rechtsbehelf-sgb8",
        "Rechtsbehelfsbelehrung (SGB VIII)",
        _rechtsbehelf(
            "dem Landkreis Musterland, Jugendamt",
            "Am Stadtpark 4, 12340 Musterstadt",
            "Achten Buch Sozialgesetzbuch (SGB VIII)",
        ),
    ),
    (
        KREIS,
        "rechtsbehelf-sgb12",
        "Rechtsbehelfsbelehrung (SGB XII)",
        _rechtsbehelf(
            "dem Landkreis Musterland, Sozialamt",
            "Kreishausplatz 1, 12340 Musterstadt",
            "Zwölften Buch Sozialgesetzbuch (SGB XII)",
        ),
    ),
    (KREIS, "mitwirkungsfolgen", "Folgen fehlender Mitwirkung (§ 66 SGB I)", MITWIRKUNGSFOLGEN),
]

ANREDE = "Sehr geehrte Damen und Herren,\n\n"
GRUSS = "\n\nMit freundlichen Grüßen\n\nIm Auftrag\n\n{{ sachbearbeitung.name }}"


@dataclass(frozen=True)
class Amt:
    """What differs between the Jobcenter, the Jugendamt and the Sozialamt."""

    slug: str
    prefix: str  # template codes of one Mandant must differ per office
    name: str  # as in „Ihr Antrag beim …“
    module: str
    leistung: str  # the benefit a Bewilligung grants
    rechtsgrundlage: str
    rechtsbehelf: str  # the text block's code


AEMTER = [
    Amt(
        JOBCENTER,
        "",
        "Jobcenter Musterland",
        "sgb2",
        "Bürgergeld (Leistungen zur Sicherung des Lebensunterhalts)",
        "§§ 19 ff. Zweites Buch Sozialgesetzbuch (SGB II)",
        "rechtsbehelf-sgb2",
    ),
    Amt(
        KREIS,
        "ja-",
        "Jugendamt des Landkreises Musterland",
        "sgb8",
        "Hilfe zur Erziehung",
        "§§ 27 ff. Achtes Buch Sozialgesetzbuch (SGB VIII)",
        "rechtsbehelf-sgb8",
    ),
    Amt(
        KREIS,
        "sa-",
        "Sozialamt des Landkreises Musterland",
        "sgb12",
        "Hilfe zur Pflege",
        "§§ 61 ff. Zwölftes Buch Sozialgesetzbuch (SGB XII)",
        "rechtsbehelf-sgb12",
    ),
]

FRIST = Feld("frist", "Frist", "datum")


def _vorlagen(amt: Amt) -> list[tuple[str, Einstellungen, Entwurf]]:
    brief, bescheid = "brief", "bescheid"
    nie = services.VierAugen.NIE
    return [
        (
            f"{amt.prefix}anhoerung",
            Einstellungen(f"Anhörung (§ 24 SGB X) – {amt.leistung}", brief, amt.module, "B", nie),
            Entwurf(
                betreff="Anhörung nach § 24 Zehntes Buch Sozialgesetzbuch (SGB X)",
                text=ANREDE
                + "bevor ein Verwaltungsakt erlassen wird, der in Ihre Rechte eingreift, "
                "erhalten Sie Gelegenheit, sich zu den für die Entscheidung erheblichen "
                "Tatsachen zu äußern (§ 24 Abs. 1 SGB X).\n\n"
                "Ich beabsichtige, folgende Entscheidung zu treffen:\n\n"
                "{{ eingabe.sachverhalt }}\n\n"
                "Sie können sich bis zum *{{ eingabe.frist }}* schriftlich oder bei einer "
                "persönlichen Vorsprache dazu äußern. Geben Sie dabei bitte das Aktenzeichen "
                "{{ akte.aktenzeichen }} an. Äußern Sie sich bis dahin nicht, entscheide ich "
                "nach Aktenlage." + GRUSS,
                anlagen=[],
                felder=[
                    Feld("sachverhalt", "Beabsichtigte Entscheidung und ihre Gründe", "text"),
                    Feld("frist", "Frist zur Äußerung", "datum"),
                ],
            ),
        ),
        (
            f"{amt.prefix}mitwirkung",
            Einstellungen(
                f"Aufforderung zur Mitwirkung (§§ 60, 66 SGB I) – {amt.leistung}",
                brief,
                amt.module,
                "B",
                nie,
            ),
            Entwurf(
                betreff="Aufforderung zur Mitwirkung",
                text=ANREDE + "um über Ihr Anliegen ({{ vorgang.titel }}) entscheiden zu können, "
                "benötige ich von Ihnen noch folgende Unterlagen:\n\n"
                "{{ eingabe.unterlagen }}\n\n"
                "Bitte reichen Sie die Unterlagen bis zum *{{ eingabe.frist }}* ein. Sie "
                "können sie per Post senden, in unserem Briefkasten einwerfen oder während "
                "der Öffnungszeiten abgeben ({{ behoerde.oeffnungszeiten }}).\n\n"
                "{{ baustein:mitwirkungsfolgen }}" + GRUSS,
                anlagen=[],
                felder=[Feld("unterlagen", "Fehlende Unterlagen", "text"), FRIST],
            ),
        ),
        (
            f"{amt.prefix}bewilligung",
            Einstellungen(
                f"Bewilligungsbescheid – {amt.leistung}",
                bescheid,
                amt.module,
                "B",
                services.VierAugen.AB_BETRAG,
                VIER_AUGEN_AB,
            ),
            Entwurf(
                betreff=f"Bescheid über {amt.leistung}",
                text="Sehr geehrte Damen und Herren,\n\n"
                f"auf Ihren Antrag werden Ihnen {amt.leistung} für die Zeit vom "
                "{{ eingabe.beginn }} bis zum {{ eingabe.ende }} bewilligt.\n\n"
                "*Höhe der Leistung:* {{ eingabe.betrag }} monatlich.\n\n"
                "*Begründung:* {{ eingabe.begruendung }}\n\n"
                f"Rechtsgrundlage: {amt.rechtsgrundlage}.\n\n"
                "Bitte teilen Sie uns jede Änderung Ihrer persönlichen und wirtschaftlichen "
                "Verhältnisse unverzüglich mit (§ 60 Abs. 1 Nr. 2 SGB I).\n\n"
                f"{{{{ baustein:{amt.rechtsbehelf} }}}}" + GRUSS,
                anlagen=["Berechnungsbogen", "Merkblatt zu Ihren Mitwirkungspflichten"],
                felder=[
                    Feld("betrag", "Bewilligter Betrag (monatlich)", "betrag"),
                    Feld("beginn", "Bewilligt ab", "datum"),
                    Feld("ende", "Bewilligt bis", "datum"),
                    Feld("begruendung", "Begründung", "text"),
                ],
            ),
        ),
        (
            f"{amt.prefix}eingangsbestaetigung",
            Einstellungen(f"Eingangsbestätigung – {amt.leistung}", brief, amt.module, "B", nie),
            Entwurf(
                betreff="Eingangsbestätigung",
                text=ANREDE
                + "Ihre Unterlagen ({{ eingabe.unterlage }}) sind am {{ eingabe.eingang }} "
                f"beim {amt.name} eingegangen. Sie werden unter dem Aktenzeichen "
                "{{ akte.aktenzeichen }} bearbeitet; bitte geben Sie es bei jeder Nachricht "
                "an uns an.\n\n"
                "Sobald die Prüfung abgeschlossen ist oder weitere Angaben benötigt werden, "
                "erhalten Sie Nachricht. Fragen beantwortet Ihnen "
                "{{ sachbearbeitung.name }} unter {{ behoerde.telefon }}." + GRUSS,
                anlagen=[],
                felder=[
                    Feld("unterlage", "Eingegangene Unterlagen", "text"),
                    Feld("eingang", "Eingangsdatum", "datum"),
                ],
            ),
        ),
    ]


ADMINS = {KREIS: "admin.kreis", JOBCENTER: "admin.jobcenter"}


def load(mandanten: dict[str, Mandant]) -> None:
    for slug, unit_name, angaben in BRIEFKOEPFE:
        tenant = mandanten[slug]
        unit = (
            Organisationseinheit.objects.for_tenant(tenant).get(name=unit_name)
            if unit_name
            else None
        )
        services.save_briefkopf(actor=None, access=None, tenant=tenant, unit=unit, angaben=angaben)
    for slug, code, titel, text in BAUSTEINE:
        services.create_baustein(
            actor=None, access=None, tenant=mandanten[slug], code=code, titel=titel, text=text
        )
    for amt in AEMTER:
        tenant = mandanten[amt.slug]
        admin = User.objects.get(username=ADMINS[amt.slug])
        for code, einstellungen, entwurf in _vorlagen(amt):
            vorlage = services.create_vorlage(
                actor=admin, access=None, tenant=tenant, code=code, einstellungen=einstellungen
            )
            services.publish_version(
                actor=admin, access=None, tenant=tenant, vorlage=vorlage, entwurf=entwurf
            )
