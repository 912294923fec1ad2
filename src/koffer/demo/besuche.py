"""Demo Hausbesuche: three home visits on the day the demo is loaded for the demo field
worker (user ``aussendienst``), so „Meine Hausbesuche“ and the Tourenplan always show
today's visits. The user comes with the device registry's demo; without it nothing is
planned, so either may be merged first.

The visits go to Akten the field worker may read in their Mandant; a Mandant without
such Akten (the Stadt Beispielstadt keeps no E-Akte in the demo) gets three Akten of its
senior citizens' advice („Hilfen im Alter“) in the field worker's unit."""

from __future__ import annotations

from datetime import time

from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import Membership, User
from koffer.demo import records as demo_records
from koffer.field.besuche import services as besuche
from koffer.forms.katalog import selectors as katalog
from koffer.records import access as records_access
from koffer.records import defaults, services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit

AUSSENDIENST = "aussendienst"

# Time, reason, notes, forms to take along (keys; those not in the catalogue are left out).
BESUCHE = [
    (
        time(9, 30),
        "Antrag auf Hilfe zur Pflege gemeinsam ausfüllen",
        "Klingel defekt, bitte anrufen. Wohnung im 2. Stock, kein Aufzug.",
        ("hilfe-zur-pflege",),
    ),
    (
        time(11, 0),
        "Veränderungen besprechen, Nachweise mitnehmen",
        "Hört schlecht: bitte deutlich sprechen, Tochter ist dabei.",
        ("veraenderungsmitteilung",),
    ),
    (
        None,
        "Wohngeldantrag vorbereiten",
        "Rollator, die Tür braucht etwas Zeit.",
        ("wohngeld",),
    ),
]

# Fictional senior citizens of the Stadt Beispielstadt.
SENIOREN = [
    ("Hoffmann", "Gertrud", "Am Kirchplatz 4", "54321", "Beispielstadt"),
    ("Lehmann", "Walter", "Mühlenweg 17", "54321", "Beispielstadt"),
    ("Krüger", "Ilse", "Rosenstraße 2a", "54322", "Beispielstadt-Nord"),
]


def load(mandanten: dict[str, Mandant]) -> None:
    worker = User.objects.filter(username=AUSSENDIENST).first()
    if worker is None:
        return
    membership = (
        Membership.objects.unscoped().filter(user=worker).select_related("unit", "tenant").first()
    )
    if membership is None:
        return
    tenant, unit = membership.tenant, membership.unit
    grants = Access.for_user(worker.pk, tenant.pk)
    akten = list(
        Akte.objects.for_tenant(tenant)
        .filter(records_access.akten_q(grants, worker.pk), status=Akte.Status.OPEN)
        .select_related("caseworker")
        .order_by("opened_at", "pk")[: len(BESUCHE)]
    )
    if not akten:
        akten = _seniorenakten(worker, tenant, unit)
    im_katalog = set(katalog.katalog(tenant.pk).values_list("schluessel", flat=True))
    for akte, (uhrzeit, anlass, hinweise, formulare) in zip(akten, BESUCHE, strict=False):
        planer = akte.caseworker or worker
        if not records_access.can_edit(Access.for_user(planer.pk, tenant.pk), planer.pk, akte):
            planer = worker
        besuche.planen(
            actor=planer,
            akte=akte,
            aussendienst=worker,
            datum=timezone.localdate(),
            uhrzeit=uhrzeit,
            anlass=anlass,
            hinweise=hinweise,
            formulare=[f for f in formulare if f in im_katalog],
        )


def _seniorenakten(worker: User, tenant: Mandant, unit: Organisationseinheit) -> list[Akte]:
    defaults.install(actor=None, tenant=tenant)
    plan = Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="50.3").first()
    if plan is None:
        root = Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="50").first()
        if root is None:
            root = services.create_aktenplaneinheit(
                actor=None,
                tenant=tenant,
                parent=None,
                kennzeichen="50",
                title="Soziale Sicherung",
                module="sgb12",
            )
        plan = services.create_aktenplaneinheit(
            actor=None,
            tenant=tenant,
            parent=root,
            kennzeichen="50.3",
            title="Hilfen im Alter",
            module="sgb12",
            aktenzeichen_pattern="HA-{jahr}-{lfd:05}",
        )
    akten = []
    for family, given, street, postal_code, city in SENIOREN:
        akte = services.open_akte_for_person(
            actor=worker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=unit,
            title=f"Hilfen im Alter {given} {family}",
            family_name=family,
            given_names=given,
            caseworker=worker,
        )
        # Contact and bank details as every demo person has them, the home address below.
        demo_records.give_details(worker, akte, len(family) * 7 + len(given))
        subjekt = akte.subjekte.select_related("person").first()
        if subjekt is not None:
            services.change_person(
                actor=worker,
                person=subjekt.person,
                street=street,
                postal_code=postal_code,
                city=city,
            )
        akten.append(akte)
    return akten
