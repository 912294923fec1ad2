"""The Online-Dienste in the demo: the Jobcenter's portal offers e-mail accounts too, and a
fictional Betreuerin has asked to act for a person of the demo (the staff page „Portal:
Vertretungen“ shows her request). Citizens sign in at the demo identity provider."""

from __future__ import annotations

from datetime import date

from koffer.portal import vertretungen
from koffer.portal.models import Buergerkonto, PortalEinstellung, Vertrauensniveau
from koffer.tenancy.models import Mandant

PORTAL_SLUG = "jobcenter-musterland"


def load(mandanten: dict[str, Mandant]) -> None:
    mandant = mandanten[PORTAL_SLUG]
    PortalEinstellung.objects.create(tenant=mandant, email_konten_erlaubt=True)
    # As the demo IdP's "Petra Sorge" would leave it after her first sign-in.
    betreuerin = Buergerkonto.objects.create(
        tenant=mandant,
        kennung="demo-bpk2-petra-sorge",
        art=Buergerkonto.Art.BUNDID,
        vertrauensniveau=Vertrauensniveau.HOCH,
        family_name="Sorge",
        given_names="Petra",
        birth_date=date(1968, 2, 14),
        street="Kirchgasse 7",
        postal_code="99999",
        city="Musterstadt",
        email="petra.sorge@example.org",
    )
    vertretungen.beantragen(
        actor=betreuerin,
        family_name="Yılmaz",
        given_names="Deniz",
        birth_date=date(1979, 11, 3),
        art="betreuung",
        nachweis="Betreuerausweis Amtsgericht Musterstadt, 12 XVII 34/25",
        gueltig_bis=None,
    )
