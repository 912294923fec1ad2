"""The Online-Dienste in the demo: the Jobcenter's portal offers e-mail accounts too, and a
fictional Betreuerin has asked to act for a person of the demo (the staff page „Portal:
Vertretungen“ shows her request). Home visits can be asked for; the Betreuerin has asked
one for her neighbour Anna Beispiel (an Akte of Leistungsteam 1, found by her name), which
waits under „Hausbesuche: Anfragen“.
Citizens sign in at the demo identity provider."""

from __future__ import annotations

from datetime import date

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.demo.outbox import ADMINS
from koffer.field.wuensche.services import Angaben
from koffer.forms.models import Formular
from koffer.portal import vertretungen
from koffer.portal.antrag import angebote
from koffer.portal.hausbesuch import services as hausbesuche
from koffer.portal.models import Buergerkonto, PortalEinstellung, Vertrauensniveau
from koffer.tenancy.models import Mandant, Organisationseinheit

PORTAL_SLUG = "jobcenter-musterland"
# The team whose caseworkers plan the home visits citizens ask for.
HAUSBESUCHE_TEAM = "Leistungsteam 1"


def load(mandanten: dict[str, Mandant]) -> None:
    mandant = mandanten[PORTAL_SLUG]
    PortalEinstellung.objects.create(
        tenant=mandant,
        email_konten_erlaubt=True,
        hausbesuche_angeboten=True,
        hausbesuche_unit=Organisationseinheit.objects.for_tenant(mandant).get(
            name=HAUSBESUCHE_TEAM
        ),
        # Letters may go to the citizens' mailbox once they consent on „Postfach“.
        elektronische_zustellung_erlaubt=True,
    )
    online_angebote(mandant)
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
    hausbesuche.anfragen(
        actor=betreuerin,
        angaben=Angaben(
            fuer="angehoerige",
            family_name="Beispiel",
            given_names="Anna",
            beziehung="Nachbarin",
            street="Kirchgasse 9",
            postal_code="99999",
            city="Musterstadt",
            telefon="0151 2345678",
            thema="antrag",
            anliegen="Weiterbewilligung, sie kommt mit dem Formular nicht zurecht",
            wochentage=[1, 3],
            tageszeit="vormittags",
            barrieren=["rollstuhl", "klingel"],
            barrieren_hinweis="Bitte bei Sorge (Nr. 7) klingeln, ich schließe auf.",
        ),
    )


# Forms the demo Jobcenter offers online; their applications without an Akte go to the
# triage of its root unit.
ONLINE = ("freie-notiz", "weiterbewilligung-sgb2")


def online_angebote(mandant: Mandant) -> None:
    admin = User.objects.get(username=ADMINS[mandant.slug])
    wurzel = Organisationseinheit.objects.for_tenant(mandant).get(parent__isnull=True)
    for formular in Formular.objects.for_tenant(mandant).filter(schluessel__in=ONLINE):
        angebote.angebot_setzen(
            actor=admin,
            access=Access.for_user(admin.pk, mandant.pk),
            formular=formular,
            unit=wurzel,
            aktiv=True,
        )
