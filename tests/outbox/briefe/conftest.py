from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.outbox.models import Briefkopf, Vorlage, VorlagenVersion
from koffer.outbox.vorlagen import sprache
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as rf

TEXT = """Sehr geehrte Damen und Herren,

wir bitten Sie, bis zum {{ eingabe.frist }} folgende Unterlagen einzureichen:

- Kontoauszüge der letzten drei Monate
- Mietvertrag

Ihr Aktenzeichen: *{{ akte.aktenzeichen }}*. Bewilligt werden {{ eingabe.betrag }}.

Mit freundlichen Grüßen

{{ sachbearbeitung.name }}
"""
FELDER = [
    {"key": "frist", "label": "Frist", "typ": "datum"},
    {"key": "betrag", "label": "Betrag", "typ": "betrag"},
]


@dataclass
class Welt:
    tenant: Mandant
    team: Organisationseinheit
    writer: User
    colleague: User
    akte: Akte

    def access(self, user: User) -> Access:
        return Access.for_user(user.pk, self.tenant.pk)


def vorlage(
    tenant: Mandant,
    *,
    code: str = "mitwirkung",
    vier_augen: bool = False,
    ab: Decimal | None = None,
    text: str = TEXT,
    form: str = "B",
    art: str = Vorlage.Art.BRIEF,
) -> Vorlage:
    now = timezone.now()
    v = Vorlage.objects.create(
        tenant=tenant,
        code=code,
        titel=f"Vorlage {code}",
        art=art,
        form=form,
        vier_augen=vier_augen,
        vier_augen_ab=ab,
        updated_at=now,
    )
    done = sprache.uebersetze(text, bausteine={}, felder=frozenset(f["key"] for f in FELDER))
    version = VorlagenVersion.objects.create(
        tenant=tenant,
        vorlage=v,
        nummer=1,
        betreff="Aufforderung zur Mitwirkung – {{ akte.aktenzeichen }}",
        text=text,
        text_satz=done.text_satz,
        anlagen=["Rückumschlag"],
        felder=FELDER,
        created_at=now,
    )
    v.aktuelle_version = version
    v.save()
    return v


@pytest.fixture
def welt(db: None) -> Welt:
    tenant = factories.mandant("Jobcenter Prüfstadt", kind=Mandant.Kind.JOBCENTER)
    team = factories.unit(tenant, "Leistungsteam 1")
    writer = factories.user(
        tenant, "sachbearbeitung", team, first_name="Sina", last_name="Schreiber"
    )
    colleague = factories.user(
        tenant, "sachbearbeitung", team, first_name="Karl", last_name="Zweit"
    )
    plan = rf.leistungsplan(tenant)
    akte = rf.akte(caseworker=writer, plan=plan, unit=team, family_name="Beispiel")
    person = akte.subjekte.get().person
    person.street, person.postal_code, person.city = "Lindenweg 4", "12345", "Musterstadt"
    person.save()
    Briefkopf.objects.create(
        tenant=tenant,
        unit=None,
        behoerde="Jobcenter Prüfstadt",
        anschrift="Marktplatz 1\n12345 Musterstadt",
        ruecksendeangabe="Jobcenter Prüfstadt · Marktplatz 1 · 12345 Musterstadt",
        telefon="0123 4567-0",
        updated_at=timezone.now(),
    )
    return Welt(tenant, team, writer, colleague, akte)
