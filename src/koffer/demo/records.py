"""Demo E-Akte: Aktenplan excerpts, default types and rules, and a few fictional Akten."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from django.utils import timezone

from koffer.accounts.models import User
from koffer.records import aktenplan, defaults, services
from koffer.records.models import Aktenplaneinheit, FristRegel, VorgangTyp
from koffer.tenancy.models import Mandant, Organisationseinheit

AKTENPLAN_CSV = (
    Path(__file__).resolve().parent.parent / "records" / "fixtures" / "aktenplan_demo.csv"
)

# (Mandant slug, Kennzeichen, unit, caseworker, title, family name, given names, birth date, BG, Vorgang type)
AKTEN = [
    (
        "jobcenter-musterland",
        "50.2.1",
        "Leistungsteam 1",
        "sb.jobcenter",
        "Leistungsakte Familie Beispiel",
        "Beispiel",
        "Anna",
        date(1986, 4, 12),
        "neu",
        "weiterbewilligung",
    ),
    (
        "jobcenter-musterland",
        "50.2.1",
        "Leistungsteam 1",
        "sb.jobcenter",
        "Leistungsakte Yılmaz",
        "Yılmaz",
        "Deniz",
        date(1979, 11, 3),
        "neu",
        "antrag",
    ),
    (
        "jobcenter-musterland",
        "50.2.3",
        "Leistungsteam 1",
        "sb.jobcenter",
        "Widerspruch gegen Bescheid vom 3. März",
        "Beispiel",
        "Anna",
        date(1986, 4, 12),
        "",
        "widerspruch",
    ),
    (
        "landkreis-musterland",
        "51.1",
        "ASD Nord",
        "sb.jugendamt",
        "Hilfe zur Erziehung Kind M.",
        "Mustermann",
        "Mia",
        date(2014, 6, 1),
        "",
        "hze",
    ),
    (
        "landkreis-musterland",
        "52.1",
        "Schwerbehindertenrecht",
        "sb.sozialamt",
        "Feststellung GdB Herr Schulze",
        "Schulze",
        "Karl-Heinz",
        date(1958, 2, 27),
        "",
        "erstantrag",
    ),
    (
        "landkreis-musterland",
        "52.2",
        "Schwerbehindertenrecht",
        "sb.sozialamt",
        "Klage S 12 SB 345/26",
        "Schulze",
        "Karl-Heinz",
        date(1958, 2, 27),
        "",
        "klage",
    ),
]


def load(mandanten: dict[str, Mandant]) -> None:
    text = AKTENPLAN_CSV.read_text(encoding="utf-8")
    for slug in ("landkreis-musterland", "jobcenter-musterland"):
        aktenplan.import_csv(actor=None, tenant=mandanten[slug], text=text)
        defaults.install(actor=None, tenant=mandanten[slug])
    for slug, kennzeichen, unit_name, username, title, family, given, born, bg, typ in AKTEN:
        tenant = mandanten[slug]
        caseworker = User.objects.get(username=username)
        akte = services.open_akte_for_person(
            actor=caseworker,
            tenant=tenant,
            aktenplaneinheit=Aktenplaneinheit.objects.for_tenant(tenant).get(
                kennzeichen=kennzeichen
            ),
            unit=Organisationseinheit.objects.for_tenant(tenant).get(name=unit_name),
            title=title,
            family_name=family,
            given_names=given,
            birth_date=born,
            bg_nummer=bg,
            caseworker=caseworker,
        )
        vorgang_typ = VorgangTyp.objects.for_tenant(tenant).filter(code=typ).first()
        if vorgang_typ is None:
            continue
        vorgang = services.create_vorgang(
            actor=caseworker, akte=akte, typ=vorgang_typ, title=vorgang_typ.label
        )
        if typ in {"widerspruch", "klage", "weiterbewilligung"}:
            regel = {
                "widerspruch": "anhoerung",
                "klage": "klagefrist",
                "weiterbewilligung": "mitwirkung",
            }[typ]
            services.add_frist(
                actor=caseworker,
                vorgang=vorgang,
                base_date=timezone.localdate() - timedelta(days=10),
                regel=tenant_regel(tenant, regel),
            )
        services.set_wiedervorlage(
            actor=caseworker,
            akte=akte,
            due_date=timezone.localdate() + timedelta(days=3),
            assignee=caseworker,
            note="Unterlagen nachfordern",
        )


def tenant_regel(tenant: Mandant, code: str) -> FristRegel:
    return FristRegel.objects.for_tenant(tenant).get(code=code)
