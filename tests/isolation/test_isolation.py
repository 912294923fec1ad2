"""Tenant isolation, generated from the URL configuration and the OpenAPI document.

Every URL that takes an object id is requested with the id of an object that belongs to
ANOTHER Mandant, by a user who holds every role in the first Mandant. The answer must be
404 (missing and forbidden look the same). Each parameter name maps to one object factory
in ``OBJECT_FACTORIES``; a URL with a parameter name that is not there fails the test, so
no new URL can escape the check. Lists (pages and API) must never show the other Mandant's
objects.

Apps that are still being written are imported lazily inside their factories.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver

from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.accounts.roles import ROLES
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
API_PARAM = re.compile(r"\{(?P<name>[^}]+)\}")
API_PREFIX = "api/"
PROBLEM_JSON = "application/problem+json"
# Object labels carry these words, so a leak is one substring search away.
OWN = "Eigenmarke"
FOREIGN = "Fremdmarke"
_seq = itertools.count(1)


# --- The two Mandanten and their objects ------------------------------------------------------


@dataclass
class World:
    """Objects of the own and the other Mandant, built on demand, one per parameter and
    Mandant, so that nested URLs get objects that belong together."""

    own: Mandant
    other: Mandant
    actor: User
    objects: dict[tuple[str, uuid.UUID], str] = field(default_factory=dict)
    cache: dict[tuple[str, uuid.UUID], Any] = field(default_factory=dict)

    def id_for(self, name: str, tenant: Mandant) -> str:
        if name in PLAIN_VALUES:
            return PLAIN_VALUES[name]
        key = (name, tenant.pk)
        if key not in self.objects:
            if name not in OBJECT_FACTORIES:
                raise UnknownParameter(name)
            self.objects[key] = str(OBJECT_FACTORIES[name](self, tenant))
        return self.objects[key]

    def once(self, key: str, tenant: Mandant, build: Callable[[], Any]) -> Any:
        """Build a helper object (a machine account, an Aktenplan) once per Mandant."""
        cache_key = (key, tenant.pk)
        if cache_key not in self.cache:
            self.cache[cache_key] = build()
        return self.cache[cache_key]

    def mark(self, tenant: Mandant) -> str:
        """A label unique to this object that names its Mandant's side."""
        return f"{OWN if tenant == self.own else FOREIGN}{next(_seq)}"

    def build_everything(self) -> None:
        for name in OBJECT_FACTORIES:
            for tenant in (self.own, self.other):
                self.id_for(name, tenant)


class UnknownParameter(LookupError):
    pass


def _machine_account(world: World, tenant: Mandant) -> User:
    def build() -> User:
        label = world.mark(tenant).lower()
        return factories.user(
            tenant, role="druckdienst", is_machine=True, username=f"maschine.{label}"
        )

    return world.once("machine", tenant, build)  # type: ignore[no-any-return]


def _person(world: World, tenant: Mandant) -> User:
    def build() -> User:
        label = world.mark(tenant)
        return factories.user(
            tenant,
            role="sachbearbeitung",
            username=f"person.{label.lower()}",
            first_name="Nora",
            last_name=label,
            email=f"{label.lower()}@example.org",
        )

    return world.once("person", tenant, build)  # type: ignore[no-any-return]


def _user(world: World, tenant: Mandant) -> uuid.UUID:
    # A machine account: the API-key pages exist only for machine accounts, and the user
    # detail page shows both kinds. The person is created too, for the list checks.
    _person(world, tenant)
    return _machine_account(world, tenant).pk


def _token(world: World, tenant: Mandant) -> uuid.UUID:
    token, _ = accounts.create_api_token(
        actor=None,
        tenant=tenant,
        user=_machine_account(world, tenant),
        name=world.mark(tenant),
        permissions=["outbox.fetch"],
        units=[factories.root_unit(tenant)],
    )
    return token.pk


def _unit(world: World, tenant: Mandant) -> uuid.UUID:
    return factories.unit(tenant, world.mark(tenant)).pk


def _job(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.jobs import registry, services

    kinds = registry.offered()
    assert kinds, "keine Auftragsart registriert"
    return services.start_job(
        actor=None, tenant=tenant, kind=kinds[0].code, title=world.mark(tenant)
    ).pk


def _aktenplan(world: World, tenant: Mandant) -> Any:
    from koffer.records import defaults, services

    def build() -> Any:
        defaults.install(actor=None, tenant=tenant)
        return services.create_aktenplaneinheit(
            actor=None,
            tenant=tenant,
            parent=None,
            kennzeichen=f"99.{next(_seq)}",
            title=world.mark(tenant),
            module="sgb2",
        )

    return world.once("aktenplan", tenant, build)


def _akte(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records import services

    return services.open_akte_for_person(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=_aktenplan(world, tenant),
        unit=factories.root_unit(tenant),
        title=world.mark(tenant),
        family_name=world.mark(tenant),
        given_names="Anna",
        bg_nummer="neu",
    ).pk


def _bg_mitglied(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records.models import Akte, BgMitglied

    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    return BgMitglied.objects.for_tenant(tenant).filter(bg_id=akte.bg_id).first().pk  # type: ignore[union-attr]


def _akte_person(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records.models import AkteSubjekt

    akte_id = world.id_for("akte_id", tenant)
    return AkteSubjekt.objects.for_tenant(tenant).get(akte_id=akte_id).person_id


def _vorgang_typ(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records.models import VorgangTyp

    _aktenplan(world, tenant)  # installs the default Vorgangstypen and Fristregeln
    return VorgangTyp.objects.for_tenant(tenant).order_by("pk").first().pk  # type: ignore[union-attr]


def _frist_regel(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records.models import FristRegel

    _aktenplan(world, tenant)
    return FristRegel.objects.for_tenant(tenant).order_by("pk").first().pk  # type: ignore[union-attr]


def _frist(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records import services
    from koffer.records.models import Vorgang

    vorgang = Vorgang.objects.for_tenant(tenant).get(pk=world.id_for("vorgang_id", tenant))
    return services.add_frist(
        actor=None, vorgang=vorgang, base_date=date.today(), label="Frist", due=date.today()
    ).pk


def _vorgang(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records import services
    from koffer.records.models import Akte, VorgangTyp

    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    typ = VorgangTyp.objects.for_tenant(tenant).filter(module="sgb2").order_by("code").first()
    assert typ is not None, "keine Vorgangstypen installiert"
    return services.create_vorgang(actor=None, akte=akte, typ=typ, title=world.mark(tenant)).pk


def _pdf(title: str) -> bytes:
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = title
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _dokument(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records.dokumente import naming
    from koffer.records.dokumente import services as documents
    from koffer.records.models import Akte

    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    label = world.mark(tenant)
    # A PDF, so that the page-image URL has a page to show for the own Mandant's document.
    result = documents.ingest_file(
        actor=None,
        akte=akte,
        file=naming.IncomingFile.from_bytes(f"{label}.pdf", _pdf(label)),
        meta=documents.DocumentMeta(title=label),
    )
    assert result.dokument is not None, result.message
    return result.dokument.pk


def _wiedervorlage(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records import services
    from koffer.records.models import Akte

    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    return services.set_wiedervorlage(
        actor=None,
        akte=akte,
        due_date=date.today(),
        unit=factories.root_unit(tenant),
        note=world.mark(tenant),
    ).pk


def _auszug(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.jobs import runner
    from koffer.records.auszug import services as extract
    from koffer.records.models import Akte

    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    world.id_for("dokument_id", tenant)  # the Akte gets a document to extract
    auszug = extract.create_auszug(
        actor=None,
        akte=akte,
        auswahl=extract.Auswahl(ganze_akte=True),
        purpose=world.mark(tenant),
    )
    assert auszug.job_id is not None
    runner.execute(auszug.job_id)  # built now, so that its PDF can be downloaded
    return auszug.pk


def _einsicht(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.records.auszug import einsicht
    from koffer.records.models import Aktenauszug

    auszug = Aktenauszug.objects.for_tenant(tenant).get(pk=world.id_for("auszug_id", tenant))
    link, _, _ = einsicht.create_einsicht(
        actor=factories.user(tenant, role="sachbearbeitung"),  # a link needs a person's right
        auszug=auszug,
        recipient=world.mark(tenant),
    )
    return link.pk


def _placements_world(world: World, tenant: Mandant) -> dict[str, Any]:
    """One facility with an Angebot and two free places, a need, a hold and a Belegung:
    the Mandant acts as provider and youth office at once (a Kreis with its own places)."""
    from datetime import date

    from django.utils import timezone

    from koffer.placements import katalog
    from koffer.placements.angebote import services as angebot_services
    from koffer.placements.belegung import services as belegung_services
    from koffer.placements.gesuche import services as gesuch_services
    from koffer.placements.models import Betreuungsform, Region

    def build() -> dict[str, Any]:
        katalog.load_default_catalogue()
        form = Betreuungsform.objects.get(code="heim-34")
        einrichtung = angebot_services.create_einrichtung(
            actor=None,
            tenant=tenant,
            fachbereich=form.fachbereich,
            formen=[form],
            name=world.mark(tenant),
            street="Weg 1",
            postcode="60000",
            city="Musterstadt",
            lat=50.1,
            lon=8.7,
        )
        angebot = angebot_services.create_angebot(
            actor=None, einrichtung=einrichtung, betreuungsform=form, title=world.mark(tenant)
        )
        plaetze = angebot_services.add_plaetze(
            actor=None,
            angebot=angebot,
            count=3,
            valid_from=date(2026, 1, 1),
            frei_ab=timezone.localdate(),
        )
        region = Region.objects.get(name="Musterstadt")
        gesuche = [
            gesuch_services.create_gesuch(
                actor=world.actor,
                tenant=tenant,
                betreuungsform=form,
                alter=10,
                geschlecht="w",
                ab_datum=timezone.localdate(),
                region=region,
            )
            for _ in range(2)
        ]
        hold = belegung_services.reserve(actor=world.actor, gesuch=gesuche[0], platz=plaetze[0])
        placed = belegung_services.reserve(actor=world.actor, gesuch=gesuche[1], platz=plaetze[1])
        belegung = belegung_services.confirm(
            actor=None, tenant=tenant, reservierung_id=placed.pk, beginn=timezone.localdate()
        )
        abwesenheit = belegung_services.record_abwesenheit(
            actor=world.actor,
            belegung=belegung,
            von=timezone.localdate(),
            bis=timezone.localdate(),
            grund="Besuch bei den Eltern",
        )
        return {
            "abwesenheit_id": abwesenheit.pk,
            "einrichtung_id": einrichtung.pk,
            "angebot_id": angebot.pk,
            "platz_id": plaetze[2].pk,
            "gesuch_id": gesuche[0].pk,
            "reservierung_id": hold.pk,
            "belegung_id": belegung.pk,
        }

    return world.once("placements", tenant, build)  # type: ignore[no-any-return]


def _placements(name: str) -> Callable[[World, Mandant], Any]:
    return lambda world, tenant: _placements_world(world, tenant)[name]


def _meldung(world: World, tenant: Mandant) -> uuid.UUID:
    """A § 47 notification of the Mandant's facility, filed with the installation's one
    Landesjugendamt (the facility names no supervisor)."""
    from django.utils import timezone

    from koffer.placements.meldungen import services as meldungen

    world.once(
        "landesjugendamt",
        world.own,
        lambda: factories.mandant("Landesjugendamt Prüfland", kind=Mandant.Kind.LANDESJUGENDAMT),
    )
    return meldungen.file_meldung(
        actor=world.actor,
        tenant=tenant,
        einrichtung=_placements_world(world, tenant)["einrichtung_id"],
        art="vorkommnis",
        ereignis_datum=timezone.localdate(),
        betreff=world.mark(tenant),
        inhalt=world.mark(tenant),
    ).pk


def _abrechnung_world(world: World, tenant: Mandant) -> dict[str, Any]:
    """Last month's Belegung of the Mandant's own facility, billed to itself: a confirmed
    Leistungsnachweis and its sent XRechnung (the Mandant is provider and youth office)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from koffer.placements.abrechnung import positions
    from koffer.placements.abrechnung import services as billing
    from koffer.placements.angebote import services as angebot_services
    from koffer.placements.belegung import services as belegung_services
    from koffer.placements.gesuche import services as gesuch_services
    from koffer.placements.models import Betreuungsform, Einrichtung, Region, Traegerprofil

    def build() -> dict[str, Any]:
        einrichtung_id = _placements_world(world, tenant)["einrichtung_id"]
        einrichtung = Einrichtung.objects.for_tenant(tenant).get(pk=einrichtung_id)
        form = Betreuungsform.objects.get(code="heim-34")
        angebot = angebot_services.create_angebot(
            actor=None, einrichtung=einrichtung, betreuungsform=form, title=world.mark(tenant)
        )
        monat = positions.month_bounds(timezone.localdate())[0] - timedelta(days=1)
        beginn = monat.replace(day=1)
        angebot_services.set_entgelt(
            actor=None,
            angebot=angebot,
            valid_from=beginn,
            valid_to=None,
            leistungsentgelt=Decimal("150.00"),
        )
        platz = angebot_services.add_plaetze(
            actor=None, angebot=angebot, count=1, valid_from=beginn, frei_ab=beginn
        )[0]
        gesuch = gesuch_services.create_gesuch(
            actor=world.actor,
            tenant=tenant,
            betreuungsform=form,
            alter=9,
            geschlecht="m",
            ab_datum=beginn,
            region=Region.objects.get(name="Musterstadt"),
        )
        hold = belegung_services.reserve(actor=world.actor, gesuch=gesuch, platz=platz)
        belegung = belegung_services.confirm(
            actor=None, tenant=tenant, reservierung_id=hold.pk, beginn=beginn
        )
        # Straight to the model: save_traegerprofil's full_clean() queries unscoped.
        Traegerprofil.objects.create(
            tenant=tenant,
            legal_name=world.mark(tenant),
            street="Weg 1",
            postcode="60000",
            city="Musterstadt",
            tax_number="045/123/45678",
            registereintrag="VR 1, Amtsgericht Musterstadt",
            iban="DE02120300000000202051",
            contact_name="Petra Schulz",
            contact_phone="+49 6101 555-20",
            contact_email="rechnung@example.org",
        )
        Mandant.objects.filter(pk=tenant.pk).update(leitweg_id="09999000-PRUEF-98")
        tenant.refresh_from_db()
        billing.save_rechnungsanschrift(
            actor=None, tenant=tenant, street="Amtsweg 1", postcode="60000", city="Musterstadt"
        )
        nachweis = billing.compute_nachweis(actor=None, belegung=belegung, monat=monat)
        billing.confirm_nachweis(actor=None, nachweis=nachweis)
        rechnung = billing.create_rechnung(actor=None, nachweis=nachweis)
        assert rechnung.status == "bereit", rechnung.findings
        billing.send_rechnung(actor=None, rechnung=rechnung)
        return {"nachweis_id": nachweis.pk, "rechnung_id": rechnung.pk}

    return world.once("abrechnung", tenant, build)  # type: ignore[no-any-return]


def _abrechnung(name: str) -> Callable[[World, Mandant], Any]:
    return lambda world, tenant: _abrechnung_world(world, tenant)[name]


def _stapel(world: World, tenant: Mandant) -> uuid.UUID:
    """A scan batch delivered into the Mandant by its mail room (which scans in-house)."""
    import io

    from koffer.accounts.access import Access
    from koffer.inbox.lieferung import services as inbox
    from tests.inbox import scans

    mail_room = world.once("poststelle", tenant, lambda: factories.user(tenant, role="poststelle"))
    files = {"0001.pdf": scans.pdf()}
    return inbox.deliver(
        actor=mail_room,
        access=Access.for_user(mail_room.pk, tenant.pk),
        tenant=tenant,
        manifest_bytes=scans.manifest(files, batch_id=world.mark(tenant)),
        files=[inbox.IncomingFile(n, io.BytesIO(d)) for n, d in files.items()],
        start_check=False,
    ).stapel.pk


def _eingang(world: World, tenant: Mandant) -> uuid.UUID:
    """A document found in a batch of the Mandant, waiting in its mail room's triage."""
    import hashlib

    from django.utils import timezone

    from koffer.inbox.models import Eingangsdokument, Stapel
    from koffer.records.dokumente import services as documents
    from tests.inbox import scans

    stapel = Stapel.objects.for_tenant(tenant).get(pk=world.id_for("stapel_id", tenant))
    page = scans.pdf()
    sha = hashlib.sha256(page).hexdigest()
    documents.settle_blobs(documents.store_blobs(tenant_id=tenant.pk, blobs=[(sha, page)]))
    now = timezone.now()
    return Eingangsdokument.objects.create(
        tenant=tenant,
        stapel=stapel,
        datei=stapel.dateien.get(),
        teil=0,
        pages=[0],
        original_sha256=sha,
        state=Eingangsdokument.State.ZU_PRUEFEN,
        reason=f"Keine Akte erkannt ({world.mark(tenant)})",
        unit=stapel.unit,
        created_at=now,
        updated_at=now,
    ).pk


def _liste(world: World, tenant: Mandant) -> uuid.UUID:
    """A confirmed destruction list (with its protocol) of a batch the Mandant's mail room
    scanned ten weeks ago, its one document filed."""
    import io
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from koffer.accounts.access import Access
    from koffer.inbox.lieferung import services as inbox
    from koffer.inbox.models import Eingangsdokument, Stapel
    from koffer.inbox.originale import selectors as originale_selectors
    from koffer.inbox.originale import services as originale
    from tests.inbox import scans

    mail_room = world.once("poststelle", tenant, lambda: factories.user(tenant, role="poststelle"))
    files = {"0001.pdf": scans.pdf()}
    weeks_ago = timezone.now() - timedelta(weeks=10)
    stapel = inbox.deliver(
        actor=mail_room,
        access=Access.for_user(mail_room.pk, tenant.pk),
        tenant=tenant,
        manifest_bytes=scans.manifest(
            files,
            batch_id=world.mark(tenant),
            scan_datum=(timezone.localdate(weeks_ago) - timedelta(days=1)).isoformat(),
        ),
        files=[inbox.IncomingFile(n, io.BytesIO(d)) for n, d in files.items()],
        start_check=False,
    ).stapel
    Stapel.objects.for_tenant(tenant).filter(pk=stapel.pk).update(
        state=Stapel.State.VERARBEITET, checked_at=weeks_ago, quality_passed=True
    )
    Eingangsdokument.objects.create(
        tenant=tenant,
        stapel=stapel,
        datei=stapel.dateien.get(),
        teil=0,
        pages=[0],
        state=Eingangsdokument.State.ABGELEGT,
        kind="sonstiges",
        unit=stapel.unit,
        created_at=weeks_ago,
        updated_at=weeks_ago,
    )
    due = originale_selectors.due(tenant, Q(pk=stapel.pk))
    (liste,) = originale.create_lists(actor=mail_room, tenant=tenant, due=due)
    return originale.confirm(
        actor=mail_room, liste=liste, destroyed_by=world.mark(tenant), destroyed_at=timezone.now()
    ).pk


def _lauf(world: World, tenant: Mandant) -> uuid.UUID:
    """A dry run of the migration from the previous software (nothing imported)."""
    from koffer.inbox.models import Importlauf

    admin = world.once("admin", tenant, lambda: factories.user(tenant, role="mandant_admin"))
    return Importlauf.objects.create(
        tenant=tenant, created_by=admin, sha256=uuid.uuid4().hex * 2, dateien=[]
    ).pk


def _serie(world: World, tenant: Mandant) -> uuid.UUID:
    """A serial letter of the Mandant, started by the person the test signs in as (a
    serial letter is shown to whoever started it)."""
    from django.utils import timezone

    from koffer.outbox.models import Brief, Serienbrief

    brief = Brief.objects.for_tenant(tenant).get(pk=world.id_for("brief_id", tenant))
    return Serienbrief.objects.create(
        tenant=tenant,
        vorlage=brief.version.vorlage,
        version=brief.version,
        titel=world.mark(tenant),
        auswahl="x",
        created_at=timezone.now(),
        created_by=world.actor,
    ).pk


def _vorlage(world: World, tenant: Mandant) -> uuid.UUID:
    """A Postausgang template with one published version (its page lists version 1)."""
    from koffer.outbox.vorlagen import services as vorlagen

    label = world.mark(tenant)
    row = vorlagen.create_vorlage(
        actor=None,
        access=None,
        tenant=tenant,
        code=label.lower(),
        einstellungen=vorlagen.Einstellungen(label, "brief", "", "B", vorlagen.VierAugen.NIE),
    )
    vorlagen.publish_version(
        actor=None,
        access=None,
        tenant=tenant,
        vorlage=row,
        entwurf=vorlagen.Entwurf(betreff=label, text=label, anlagen=[], felder=[]),
    )
    return row.pk


def _baustein(world: World, tenant: Mandant) -> uuid.UUID:
    from koffer.outbox.vorlagen import services as vorlagen

    label = world.mark(tenant)
    return vorlagen.create_baustein(
        actor=None, access=None, tenant=tenant, code=label.lower(), titel=label, text=label
    ).pk


def _versand(world: World, tenant: Mandant) -> dict[str, Any]:
    """A released letter of the Mandant in a batch ready for its print provider: in the
    own Mandant the broad actor is that provider (so its fetch and confirm answer)."""

    def build() -> dict[str, Any]:
        from datetime import timedelta

        from django.utils import timezone

        from koffer.outbox.models import Druckdienst
        from koffer.outbox.versand import services as versand
        from koffer.records.models import Akte
        from tests.outbox.factories import released_letter

        konto = world.actor if tenant == world.own else _machine_account(world, tenant)
        Druckdienst.objects.create(
            tenant=tenant, konto=konto, name=world.mark(tenant), rang=1, updated_at=timezone.now()
        )
        akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
        brief = released_letter(
            tenant,
            akte,
            actor=_person(world, tenant),
            freigegeben_at=timezone.now() - timedelta(days=1),
        )
        stapel = versand.stapeln(tenant_id=tenant.pk, now=timezone.now())
        assert stapel is not None
        versand.packen(stapel=stapel)
        return {"brief_id": brief.pk, "versandstapel_id": stapel.pk}

    return world.once("versand", tenant, build)  # type: ignore[no-any-return]


def _drucker(world: World, tenant: Mandant) -> uuid.UUID:
    from django.utils import timezone

    from koffer.outbox.models import Drucker

    def build() -> uuid.UUID:
        return Drucker.objects.create(
            tenant=tenant,
            name=world.mark(tenant),
            uri="ipp://127.0.0.1:9/ipp/print",
            updated_at=timezone.now(),
        ).pk

    return world.once("drucker", tenant, build)  # type: ignore[no-any-return]


def _druckauftrag(world: World, tenant: Mandant) -> uuid.UUID:
    """A failed print of the Mandant's letter (its page offers a retry)."""
    from django.utils import timezone

    from koffer.outbox.models import Druckauftrag

    return Druckauftrag.objects.create(
        tenant=tenant,
        brief_id=world.id_for("brief_id", tenant),
        drucker_id=_drucker(world, tenant),
        status=Druckauftrag.Status.FEHLGESCHLAGEN,
        meldung=world.mark(tenant),
        created_at=timezone.now(),
        created_by=world.actor,
    ).pk


def _ablagefehler(world: World, tenant: Mandant) -> uuid.UUID:
    """A refused file in the drop folder of the Mandant's print provider."""
    from django.utils import timezone

    from koffer.outbox.models import Ablagefehler, Druckdienst

    _versand(world, tenant)  # the Mandant's print provider
    return Ablagefehler.objects.create(
        tenant=tenant,
        druckdienst=Druckdienst.objects.for_tenant(tenant).get(),
        datei=f"{world.mark(tenant)}.json",
        name=f"{world.mark(tenant)}.json",
        grund=world.mark(tenant),
        created_at=timezone.now(),
    ).pk


def _formular(world: World, tenant: Mandant) -> str:
    """A form of the Mandant's catalogue (its URL names it by its key)."""
    from koffer.forms.katalog import services as katalog

    label = world.mark(tenant)
    text = {"de": label}
    feld = {"id": "name", "typ": "text", "label": text}
    daten = {
        "format": 1,
        "schluessel": label.lower(),
        "titel": text,
        "schritte": [{"id": "schritt", "titel": text, "felder": [feld]}],
    }
    [ergebnis] = katalog.importieren(actor=None, access=None, tenant=tenant, daten=daten)
    return ergebnis.formular.schluessel


def _formular_id(world: World, tenant: Mandant) -> uuid.UUID:
    """The same form by its id (the pages of the desk name it so)."""
    from koffer.forms.models import Formular

    schluessel = world.id_for("schluessel", tenant)
    return Formular.objects.for_tenant(tenant).get(schluessel=schluessel).pk


def _entwurf(world: World, tenant: Mandant) -> uuid.UUID:
    """A draft of the Mandant's form for its Akte, begun by someone who may fill it."""
    from koffer.forms.ausfuellen import services as ausfuellen
    from koffer.forms.models import Formular
    from koffer.records.models import Akte

    formular = Formular.objects.for_tenant(tenant).get(
        schluessel=world.id_for("schluessel", tenant)
    )
    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    actor = world.actor if tenant == world.own else _person(world, tenant)
    return ausfuellen.entwurf_beginnen(actor=actor, formular=formular, akte=akte).pk


def _einreichung(world: World, tenant: Mandant) -> uuid.UUID:
    """A submitted draft of its own (the draft of ``entwurf_id`` stays open)."""
    from koffer.forms.ausfuellen import services as ausfuellen
    from koffer.forms.models import Entwurf

    actor = world.actor if tenant == world.own else _person(world, tenant)
    entwurf = Entwurf.objects.for_tenant(tenant).get(pk=_entwurf(world, tenant))
    ausfuellen.schritt_speichern(
        actor=actor, entwurf=entwurf, schritt="schritt", antworten={"name": world.mark(tenant)}
    )
    return ausfuellen.einreichen(actor=actor, entwurf=entwurf).pk


def _besuch(world: World, tenant: Mandant) -> uuid.UUID:
    """A home visit for the Mandant's Akte (the row as planning writes it: the crawl's
    actors hold every role, planning's own rules are tested in tests/field)."""
    from django.utils import timezone

    from koffer.field.models import Hausbesuch

    return Hausbesuch.objects.create(
        tenant=tenant,
        akte_id=world.id_for("akte_id", tenant),
        aussendienst=world.actor if tenant == world.own else _person(world, tenant),
        datum=timezone.localdate(),
        anlass=world.mark(tenant),
        hinweise=world.mark(tenant),
        created_at=timezone.now(),
    ).pk


def _wunsch(world: World, tenant: Mandant) -> uuid.UUID:
    """A citizen's request for a home visit to the Mandant's root unit (as the portal's
    request writes it; its rules are tested in tests/portal/test_hausbesuch.py)."""
    from django.utils import timezone

    from koffer.field.models import Besuchswunsch

    return Besuchswunsch.objects.create(
        tenant=tenant,
        konto_id=uuid.uuid4(),
        anfragende=world.mark(tenant),
        fuer="angehoerige",
        family_name=world.mark(tenant),
        street=world.mark(tenant),
        postal_code="12345",
        city="Prüfstadt",
        telefon="030 123456",
        thema="beratung",
        unit=factories.root_unit(tenant),
        created_at=timezone.now(),
    ).pk


# Parameter name in a URL -> factory of an object of the given Mandant (returns its id).
def _aussendienst(world: World, tenant: Mandant) -> User:
    """Who carries the Mandant's Koffer: the actor at home, a field worker elsewhere."""
    if tenant == world.own:
        return world.actor

    def build() -> User:
        label = world.mark(tenant)
        return factories.user(tenant, role="aussendienst", username=f"feld.{label.lower()}")

    return world.once("aussendienst", tenant, build)  # type: ignore[no-any-return]


def _geraet(world: World, tenant: Mandant) -> uuid.UUID:
    """A Koffer of the Mandant, named with its mark."""
    from koffer.field.geraete import services as geraete

    actor = _aussendienst(world, tenant)
    return geraete.geraet_anlegen(actor=actor, tenant_id=tenant.pk, name=world.mark(tenant))[0].pk


def _ausleihe(world: World, tenant: Mandant) -> uuid.UUID:
    """The Mandant's Akte checked out to its Koffer."""
    from koffer.field.geraete import services as geraete
    from koffer.field.models import Geraet
    from koffer.records.models import Akte

    geraet = Geraet.objects.for_tenant(tenant).get(pk=world.id_for("geraet_id", tenant))
    akte = Akte.objects.for_tenant(tenant).get(pk=world.id_for("akte_id", tenant))
    actor = _aussendienst(world, tenant)
    return geraete.ausleihen(actor=actor, geraet=geraet, akten=[akte])[0].pk


def _paket_blob(world: World, tenant: Mandant) -> str:
    """A blob of the Mandant's Koffer's package: the document of its checked-out Akte."""
    from koffer.records.models import Dokument

    world.id_for("ausleihe_id", tenant)
    dokument = (
        Dokument.objects.for_tenant(tenant)
        .select_related("current_version")
        .get(pk=world.id_for("dokument_id", tenant))
    )
    assert dokument.current_version is not None
    return dokument.current_version.sha256


def _konflikt(world: World, tenant: Mandant) -> uuid.UUID:
    """An open conflict of the Mandant's Koffer on its Akte (the rows as the sync back
    writes them; the merge itself is tested in tests/field), values named with its mark."""
    from django.utils import timezone

    from koffer.field.models import Abgleich, Konflikt

    abgleich = Abgleich.objects.create(
        tenant=tenant,
        geraet_id=world.id_for("geraet_id", tenant),
        abgleich_id=uuid.uuid4(),
        empfangen_am=timezone.now(),
    )
    return Konflikt.objects.create(
        tenant=tenant,
        abgleich=abgleich,
        akte_id=world.id_for("akte_id", tenant),
        modell="records.vorgang",
        objekt_id=str(world.id_for("vorgang_id", tenant)),
        feld="title",
        basis=world.mark(tenant),
        buero_wert=world.mark(tenant),
        koffer_wert=world.mark(tenant),
        created_at=timezone.now(),
    ).pk


def _sitzung(world: World, tenant: Mandant) -> uuid.UUID:
    """An open expert session on the Mandant's draft, started by whoever began the draft,
    with an expert of the Mandant (the row as ``experte.services.starten`` writes it)."""
    from django.utils import timezone

    from koffer.field.models import Sitzung

    now = timezone.now()
    return Sitzung.objects.create(
        tenant=tenant,
        entwurf_id=world.id_for("entwurf_id", tenant),
        gestartet_von=world.actor if tenant == world.own else _person(world, tenant),
        experte=factories.user(tenant, role="sachbearbeitung"),
        einwilligung_von=world.mark(tenant),
        einwilligung_art=Sitzung.Einwilligung.MUENDLICH,
        einwilligung_am=now,
        gestartet_am=now,
    ).pk


def _koffer_client(world: World) -> Client:
    """The own Mandant's Koffer, paired: endpoints only a Koffer may call answer it."""
    from koffer.field.geraete import services as geraete
    from koffer.field.models import Geraet

    def build() -> Client:
        geraet = Geraet.objects.for_tenant(world.own).get(pk=world.id_for("geraet_id", world.own))
        code = geraete.neuer_kopplungscode(actor=_aussendienst(world, world.own), geraet=geraet)
        _, token = geraete.koppeln(code=code)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return world.once("koffer_client", world.own, build)  # type: ignore[no-any-return]


OBJECT_FACTORIES: dict[str, Callable[[World, Mandant], Any]] = {
    "user_id": _user,
    "token_id": _token,
    "unit_id": _unit,
    "job_id": _job,
    "akte_id": _akte,
    "vorgang_id": _vorgang,
    "dokument_id": _dokument,
    "wiedervorlage_id": _wiedervorlage,
    "mitglied_id": _bg_mitglied,
    "person_id": _akte_person,
    "frist_id": _frist,
    "typ_id": _vorgang_typ,
    "regel_id": _frist_regel,
    "auszug_id": _auszug,
    "einsicht_id": _einsicht,
    **{
        name: _placements(name)
        for name in (
            "abwesenheit_id",
            "einrichtung_id",
            "angebot_id",
            "platz_id",
            "gesuch_id",
            "reservierung_id",
            "belegung_id",
        )
    },
    "meldung_id": _meldung,
    "stapel_id": _stapel,
    "eingang_id": _eingang,
    "liste_id": _liste,
    "lauf_id": _lauf,
    "serie_id": _serie,
    "vorlage_id": _vorlage,
    "baustein_id": _baustein,
    "brief_id": lambda world, tenant: _versand(world, tenant)["brief_id"],
    "versandstapel_id": lambda world, tenant: _versand(world, tenant)["versandstapel_id"],
    "nachweis_id": _abrechnung("nachweis_id"),
    "rechnung_id": _abrechnung("rechnung_id"),
    "drucker_id": _drucker,
    "auftrag_id": _druckauftrag,
    "ablagefehler_id": _ablagefehler,
    "schluessel": _formular,
    "formular_id": _formular_id,
    "entwurf_id": _entwurf,
    "einreichung_id": _einreichung,
    "geraet_id": _geraet,
    "ausleihe_id": _ausleihe,
    "besuch_id": _besuch,
    "wunsch_id": _wunsch,
    "konflikt_id": _konflikt,
    "sitzung_id": _sitzung,
    "sha256": _paket_blob,
}

# Parameters that name no object (a version number, a page, an image width): one valid value
# each. They belong to no Mandant, so a URL with only these is no isolation question.
PLAIN_VALUES: dict[str, str] = {
    "number": "1",
    "page": "1",
    "width": "200",
    # A form's version number: the form itself is the object (``schluessel``).
    "nummer": "1",
    # A step of a form's version (the isolation form's only step is "schritt").
    "schritt": "schritt",
    "schritt_id": "schritt",
    # A file in a draft's file field: the field's id and the file's SHA-256 (the draft is
    # the object; a file it does not hold is unknown like a foreign draft).
    "feld": "name",
    "blob": "0" * 64,
    # The public Akteneinsicht link: a token of another Mandant is simply unknown (404).
    "token": "ein_" + "A" * 43,
}


# --- Walking the URL configuration and the OpenAPI document ----------------------------------


@dataclass(frozen=True)
class Route:
    route: str
    name: str

    @property
    def params(self) -> list[str]:
        return [m["name"] for m in PARAM.finditer(self.route)]

    def url(self, values: dict[str, str]) -> str:
        return "/" + PARAM.sub(lambda m: values[m["name"]], self.route)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield Route(prefix + str(entry.pattern), entry.name or "")


def _routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def _openapi() -> dict[str, Any]:
    from koffer.urls import api

    return api.get_openapi_schema()  # type: ignore[no-any-return]


UPLOAD = "<upload>"  # stands for a file in a multipart body
# The security schemes of the citizens' API (koffer.portal.auth): no staff member passes them.
PORTAL_SECURITY = {"BuergerToken", "BuergerSitzung"}


# Operations whose URL names content, not an object of a Mandant (``sha256`` of a file a
# Koffer uploads): checked for telling nothing about the other Mandant instead of for 404.
CONTENT_ADDRESSED = {("PUT", "/api/v1/koffer/blobs/{sha256}")}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    body: dict[str, Any] | None
    multipart: bool = False
    koffer_only: bool = False  # answered to a paired Koffer's token only (GeraetAuth)
    portal: bool = False  # answered to citizens only (portal.auth), crawled in test_portal.py
    secured: bool = True  # False: open without any sign-in (pairing a Koffer)

    @property
    def params(self) -> list[str]:
        return [m["name"] for m in API_PARAM.finditer(self.path)]

    def url(self, values: dict[str, str]) -> str:
        return API_PARAM.sub(lambda m: values[m["name"]], self.path)

    def send(self, client: Client, url: str) -> HttpResponse:
        if self.body is None:
            return client.generic(self.method, url)
        if not self.multipart:
            return client.generic(
                self.method, url, json.dumps(self.body), content_type="application/json"
            )
        data = {k: _uploads(v) for k, v in self.body.items()}
        return client.generic(
            self.method, url, encode_multipart(BOUNDARY, data), content_type=MULTIPART_CONTENT
        )


def _uploads(value: Any) -> Any:
    if value == UPLOAD:
        return SimpleUploadedFile("probe.txt", b"Mandantentrennung", content_type="text/plain")
    if isinstance(value, list):
        return [_uploads(v) for v in value]
    return value


def _operations() -> list[Operation]:
    schema = _openapi()
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            content = op.get("requestBody", {}).get("content", {})
            multipart = "multipart/form-data" in content
            body_schema = content.get(
                "multipart/form-data" if multipart else "application/json", {}
            ).get("schema")
            body = _example(body_schema, schema) if body_schema else None
            koffer_only = op.get("security") == [{"GeraetAuth": []}]
            security = op.get("security") or []
            portal = bool(security) and all(n in PORTAL_SECURITY for s in security for n in s)
            secured = bool(security)
            ops.append(
                Operation(method.upper(), path, body, multipart, koffer_only, portal, secured)
            )
    return ops


def _example(node: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A minimal value that passes validation, so the request reaches the object lookup."""
    if "$ref" in node:
        target: Any = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _example(target, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"]
            return _example(options[0], schema)
    if "enum" in node:
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {k: _example(props[k], schema) for k in node.get("required", []) if k in props}
    if kind == "array":
        items = node.get("items", {})
        return [UPLOAD] if items.get("format") == "binary" else []
    if kind == "integer":
        return max(1, int(node.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    fmt = node.get("format")
    if fmt == "binary":
        return UPLOAD
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return date.today().isoformat()
    if fmt == "date-time":
        return datetime.now().astimezone().isoformat()
    return "x" * max(1, int(node.get("minLength", 1)))


def _takes_object(params: list[str]) -> bool:
    return any(p not in PLAIN_VALUES for p in params)


# The citizens' portal (/portal/<mandant>/…) answers a staff session as no session at all;
# its separation (Mandant, citizen, staff) is crawled in tests/isolation/test_portal.py.
PORTAL_PREFIX = "portal/"
PAGE_ROUTES = [
    r
    for r in _routes()
    if _takes_object(r.params)
    and not r.route.startswith(API_PREFIX)
    and not r.route.startswith(PORTAL_PREFIX)
]
API_OPERATIONS = [op for op in _operations() if _takes_object(op.params) and not op.portal]


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def world(db: None) -> World:
    own = factories.mandant(f"Landkreis {OWN}")
    other = factories.mandant(f"Landkreis {FOREIGN}")
    actor = factories.user(own, role="mandant_admin", username="alle.rollen")
    root = factories.root_unit(own)
    for code in ROLES:
        accounts.add_membership(actor=None, user=actor, unit=root, role=code)
    return World(own=own, other=other, actor=actor)


@pytest.fixture
def broad_client(world: World) -> Iterator[Client]:
    with override_settings(KOFFER_REQUIRE_OTP=False):
        yield signed_in(world.actor)


def _ids(world: World, params: list[str], tenant_of: dict[str, Mandant]) -> dict[str, str]:
    try:
        return {name: world.id_for(name, tenant_of[name]) for name in params}
    except UnknownParameter as exc:
        pytest.fail(
            f"URL-Parameter „{exc.args[0]}“ ist nicht in OBJECT_FACTORIES "
            f"(tests/isolation/test_isolation.py): bitte eine Fabrik für ein Objekt "
            f"eines Mandanten ergänzen, damit die Mandantentrennung dieser URL geprüft wird."
        )


def _foreign_variants(world: World, params: list[str]) -> list[dict[str, Mandant]]:
    """All ids foreign, and for nested URLs each id foreign alone inside own parents."""
    objects = [p for p in params if p not in PLAIN_VALUES]
    variants = [dict.fromkeys(params, world.other)]
    if len(objects) > 1:
        for foreign in objects:
            variants.append({p: world.other if p == foreign else world.own for p in params})
    return variants


def _body(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")  # type: ignore[attr-defined]
    return response.content.decode(errors="replace")


# --- Pages -------------------------------------------------------------------------------------


def test_every_page_route_with_an_id_is_checked() -> None:
    """The walk finds the id routes (guards against a walker that silently finds none)."""
    names = {r.name for r in PAGE_ROUTES}
    assert {"user_detail", "token_create", "token_revoke"} <= names, names


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=lambda r: r.route)
def test_page_with_foreign_id_is_404(route: Route, world: World, broad_client: Client) -> None:
    own_url = route.url(_ids(world, route.params, dict.fromkeys(route.params, world.own)))
    control = broad_client.get(own_url)
    assert control.status_code != 404, (
        f"GET {own_url} mit Objekten des eigenen Mandanten ist 404: die Fabrik passt nicht zur URL"
    )
    for tenant_of in _foreign_variants(world, route.params):
        url = route.url(_ids(world, route.params, tenant_of))
        statuses = {}
        for method in ("GET", "POST"):
            response = broad_client.generic(method, url)
            statuses[method] = response.status_code
        foreign = [p for p, t in tenant_of.items() if t == world.other and p not in PLAIN_VALUES]
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (
            f"{url} (fremd: {', '.join(foreign)}) antwortet {statuses}, erwartet 404"
        )


# --- API ---------------------------------------------------------------------------------------


def test_every_api_operation_with_an_id_is_checked() -> None:
    assert any(op.path.endswith("/units/{unit_id}") for op in API_OPERATIONS), API_OPERATIONS


@pytest.mark.parametrize("op", API_OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_api_with_foreign_id_is_404(op: Operation, world: World, broad_client: Client) -> None:
    if op.koffer_only:
        broad_client = _koffer_client(world)
    if (op.method, op.path) in CONTENT_ADDRESSED:
        # Its name is its content, shared by every Mandant (a Koffer uploading a file): the
        # answer for another Mandant's blob must be the one for a blob nobody has.
        nobody = op.send(broad_client, op.url({"sha256": "0" * 64}))
        for tenant_of in _foreign_variants(world, op.params):
            response = op.send(broad_client, op.url(_ids(world, op.params, tenant_of)))
            assert (response.status_code, _body(response)) == (
                nobody.status_code,
                _body(nobody),
            ), f"{op.method} {op.path} verrät, ob ein anderer Mandant die Datei hat"
        return
    own_url = op.url(_ids(world, op.params, dict.fromkeys(op.params, world.own)))
    for tenant_of in _foreign_variants(world, op.params):
        url = op.url(_ids(world, op.params, tenant_of))
        response = op.send(broad_client, url)
        assert response.status_code == 404, (
            f"{op.method} {url} antwortet {response.status_code}, erwartet 404: {_body(response)[:300]}"
        )
        assert response["Content-Type"].startswith(PROBLEM_JSON)
        assert json.loads(response.content)["code"] == "not_found"
    if op.method == "GET":
        # With the own Mandant's ids the same request is answered: the factories fit the
        # URL, so the 404 above came from the Mandant check. (A 404 from the view also
        # means the body passed validation, which ninja does before calling the view.)
        control = broad_client.get(own_url)
        assert control.status_code != 404, (
            f"GET {own_url} mit Objekten des eigenen Mandanten ist 404: die Fabrik passt nicht"
        )


# --- Lists never show the other Mandant's objects ---------------------------------------------


def _list_urls() -> list[str]:
    pages = [
        "/" + r.route for r in _routes() if not r.params and not r.route.startswith(API_PREFIX)
    ]
    api = [op.path for op in _operations() if op.method == "GET" and not op.params]
    return pages + api


def test_lists_never_show_the_other_mandant(world: World, broad_client: Client) -> None:
    world.build_everything()
    leaks = {}
    for url in _list_urls():
        response = broad_client.get(url)
        body = _body(response)
        if FOREIGN in body:
            found = sorted(set(re.findall(rf"{FOREIGN}\d+", body)))
            leaks[url] = f"{response.status_code}: {', '.join(found) or FOREIGN}"
    assert not leaks, f"Fremde Objekte sichtbar: {leaks}"


def test_list_checks_see_the_own_objects(world: World, broad_client: Client) -> None:
    """Guards the leak check: the own Mandant's objects do show up in its lists."""
    world.build_everything()
    users = _body(broad_client.get("/verwaltung/benutzer/"))
    assert OWN in users and FOREIGN not in users
    units = _body(broad_client.get("/api/v1/units?limit=200"))
    assert OWN in units and FOREIGN not in units
