"""Every write of FIT-Connect in the Posteingang: set up a destination, and the poll that
fetches each waiting submission, decides on it and answers it.

One submission, step by step: fetched (submission and attachments, nothing written),
checked (``pruefung``, pure), decided in one transaction — accepted as a batch of the
Posteingang (``Stapel`` of source ``fitconnect``: the attachments as its files, the
metadata as its Lieferschein, the data kept beside in the ``FitConnectEinreichung``; the
batch's check job started, then the pipeline files it or gives it to triage) or rejected
(the submission kept as fetched, an ``Ablehnung`` in the Posteingang's quarantine with the
German reason) — with the signed event written into the same row, then the event posted
and marked sent. The row is unique per Mandant and submission id, so a process killed
between any two steps resumes on the next poll: before the decision everything is done
again (nothing was written), after it only the event is posted — and not again if the
case's event log already holds it (same ``jti``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.inbox import access as rules
from koffer.inbox.errors import Conflict, Forbidden, InboxError
from koffer.inbox.fitconnect import ereignisse, fachdaten, pruefung, schluessel
from koffer.inbox.fitconnect.zustelldienst import NichtErreichbar, Zustelldienst
from koffer.inbox.lieferung import services as lieferung
from koffer.inbox.models import (
    Ablehnung,
    FitConnectEinreichung,
    FitConnectZiel,
    Stapel,
    Stapeldatei,
)
from koffer.jobs import services as jobs
from koffer.records.dokumente import services as documents
from koffer.tenancy.models import Mandant, Organisationseinheit

logger = logging.getLogger("koffer.inbox")

Einreichung = FitConnectEinreichung


def step_reached(name: str) -> None:
    """Called after each step of a submission. It does nothing; the interruption tests
    raise here to stand for a process killed at that point."""


# --- the destination --------------------------------------------------------------------------


@dataclass(frozen=True)
class Eingerichtet:
    ziel: FitConnectZiel
    oeffentlich: dict[str, dict[str, object]]  # the public keys for the Zustelldienst


def ziel_einrichten(
    *,
    actor: User,
    access: Access,
    tenant: Mandant,
    destination_id: uuid.UUID,
    name: str,
    unit: Organisationseinheit,
    base_url: str,
    token_url: str = "",
    client_id: str = "",
    client_secret: str = "",
    bits: int | None = None,
) -> Eingerichtet:
    """Set up a destination (the Mandant's administration): new key pairs written to the
    key folder (never the database), the row and its audit event. Answers the public
    keys to register at the Zustelldienst."""
    if not rules.configures(access, tenant):
        raise Forbidden(
            "forbidden", "Nur die Administration des Mandanten richtet FIT-Connect ein."
        )
    if unit.tenant_id != tenant.pk:
        raise InboxError("unknown_unit", "Diese Organisationseinheit gibt es hier nicht.")
    if not base_url.startswith(("https://", "http://")):
        raise InboxError(
            "invalid_url", "Die Adresse des Zustelldienstes muss mit https:// beginnen."
        )
    if FitConnectZiel.objects.for_tenant(tenant).filter(destination_id=destination_id).exists():
        raise Conflict(
            "fitconnect_destination_exists", "Dieser Zustellpunkt ist hier schon eingerichtet."
        )
    keys = schluessel.erzeugen(bits=bits)
    keys = schluessel.Schluessel(keys.entschluesselung, keys.signatur, client_secret)
    with transaction.atomic():
        schluessel.speichern(tenant_id=tenant.pk, destination_id=destination_id, schluessel=keys)
        ziel = FitConnectZiel.objects.create(
            tenant=tenant,
            destination_id=destination_id,
            name=name.strip()[:200] or str(destination_id),
            unit=unit,
            eingerichtet_von=actor,
            base_url=base_url.rstrip("/"),
            token_url=token_url,
            client_id=client_id,
            encryption_kid=str(keys.entschluesselung.get("kid")),
            signing_kid=str(keys.signatur.get("kid")),
            schluessel_seit=timezone.now(),
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="inbox.fitconnect.ziel",
            obj=ziel,
            changes={
                "destination_id": str(destination_id),
                "unit": str(unit.pk),
                "base_url": ziel.base_url,
                "encryption_kid": ziel.encryption_kid,
                "signing_kid": ziel.signing_kid,
            },
        )
    return Eingerichtet(ziel, keys.oeffentlich())


def schluessel_wechseln(
    *, actor: User, access: Access, ziel: FitConnectZiel, bits: int | None = None
) -> Eingerichtet:
    """A key change (the Mandant's administration): new key pairs for decryption and the
    events' signature in the key file, the current decryption key kept beside them — a
    sender that fetched the old public key still gets its submission taken — until no
    submission needs it (:func:`_fruehere_entfernen`, after each complete poll). Audited
    with both key ids. Answers the new public keys to register at the Zustelldienst."""
    if not rules.configures(access, ziel.tenant):
        raise Forbidden(
            "forbidden", "Nur die Administration des Mandanten wechselt FIT-Connect-Schlüssel."
        )
    jetzt = timezone.now()
    with transaction.atomic():
        ziel = FitConnectZiel.objects.for_tenant(ziel.tenant_id).select_for_update().get(pk=ziel.pk)
        alt = schluessel.laden(tenant_id=ziel.tenant_id, destination_id=ziel.destination_id)
        keys = alt.gewechselt(schluessel.erzeugen(bits=bits), jetzt)
        vorher = {"encryption_kid": ziel.encryption_kid, "signing_kid": ziel.signing_kid}
        ziel.encryption_kid = str(keys.entschluesselung.get("kid"))
        ziel.signing_kid = str(keys.signatur.get("kid"))
        ziel.schluessel_seit = jetzt
        ziel.save(update_fields=["encryption_kid", "signing_kid", "schluessel_seit"])
        audit.record(
            actor=actor,
            tenant_id=ziel.tenant_id,
            action="inbox.fitconnect.schluesselwechsel",
            obj=ziel,
            changes={
                **audit.diff(
                    vorher,
                    {"encryption_kid": ziel.encryption_kid, "signing_kid": ziel.signing_kid},
                ),
                "behalten": [a.kid for a in keys.fruehere],
            },
        )
        # The keys in the same transaction: the row never names a key the database does
        # not hold.
        schluessel.speichern(
            tenant_id=ziel.tenant_id, destination_id=ziel.destination_id, schluessel=keys
        )
    return Eingerichtet(ziel, keys.oeffentlich())


def _fruehere_entfernen(
    ziel: FitConnectZiel, keys: schluessel.Schluessel, kids: set[str]
) -> list[str]:
    """After a complete poll (every waiting submission fetched and decided): drop the
    earlier decryption keys replaced more than ``KOFFER_FITCONNECT_KEY_KEEP_DAYS`` ago that
    no submission of this poll was encrypted for — senders have the new key by then, and
    every submission that came for the old one is decided (accepted ones are kept
    decrypted; a rejected one stays as fetched, with its reason). Audited."""
    grenze = timezone.now() - timedelta(days=settings.KOFFER_FITCONNECT_KEY_KEEP_DAYS)
    weg = {a.kid for a in keys.fruehere if a.abgeloest_am < grenze and a.kid not in kids}
    if not weg:
        return []
    with transaction.atomic():
        # The destination's row is the lock a key change takes too: one writer of the file.
        FitConnectZiel.objects.for_tenant(ziel.tenant_id).select_for_update().filter(
            pk=ziel.pk
        ).first()
        aktuell = schluessel.laden(tenant_id=ziel.tenant_id, destination_id=ziel.destination_id)
        audit.record(
            actor=None,
            tenant_id=ziel.tenant_id,
            action="inbox.fitconnect.schluessel_entfernt",
            obj=ziel,
            changes={"entfernt": sorted(weg)},
        )
        schluessel.speichern(
            tenant_id=ziel.tenant_id,
            destination_id=ziel.destination_id,
            schluessel=aktuell.ohne(weg),
        )
    return sorted(weg)


def dienst_fuer(ziel: FitConnectZiel) -> Zustelldienst:
    keys = schluessel.laden(tenant_id=ziel.tenant_id, destination_id=ziel.destination_id)
    return Zustelldienst(
        ziel.base_url,
        token_url=ziel.token_url,
        client_id=ziel.client_id,
        client_secret=keys.client_secret,
    )


# --- the poll ---------------------------------------------------------------------------------


@dataclass
class Bericht:
    """What one poll of a destination did."""

    angenommen: list[uuid.UUID] = field(default_factory=list)
    abgelehnt: list[uuid.UUID] = field(default_factory=list)
    gesendet: list[uuid.UUID] = field(default_factory=list)  # events posted
    fehler: str = ""  # German: why the poll stopped, or the first submission it could not fetch
    # The key ids the submissions fetched in this poll were encrypted for.
    kids: set[str] = field(default_factory=set)
    entfernt: list[str] = field(default_factory=list)  # earlier keys dropped after it


def abholen(*, ziel: FitConnectZiel, dienst: Zustelldienst | None = None) -> Bericht:
    """Fetch, decide and answer every submission waiting for ``ziel``; first post the
    events an interrupted poll left unsent. A failing Zustelldienst stops the poll (it is
    recorded on the destination); nothing half-decided stays behind."""
    bericht = Bericht()
    try:
        keys = schluessel.laden(tenant_id=ziel.tenant_id, destination_id=ziel.destination_id)
        dienst = dienst or dienst_fuer(ziel)
        offen = Einreichung.objects.for_tenant(ziel.tenant_id).filter(
            ziel=ziel, ereignis_gesendet_at__isnull=True
        )
        for einreichung in offen.order_by("created_at"):
            _senden(einreichung, dienst, bericht)
        for eintrag in dienst.einreichungen(str(ziel.destination_id)):
            try:
                _einreichung(ziel, dienst, keys, eintrag, bericht)
            except NichtErreichbar as exc:
                # One submission the service cannot hand out must not hold up the others;
                # nothing was decided on it, the next poll tries again.
                bericht.fehler = bericht.fehler or str(exc)
        if not bericht.fehler:
            bericht.entfernt = _fruehere_entfernen(ziel, keys, bericht.kids)
    except (NichtErreichbar, InboxError) as exc:
        bericht.fehler = str(exc) if isinstance(exc, NichtErreichbar) else exc.message
        logger.warning("FIT-Connect %s: %s", ziel.destination_id, bericht.fehler)
    FitConnectZiel.objects.for_tenant(ziel.tenant_id).filter(pk=ziel.pk).update(
        polled_at=timezone.now(), poll_error=bericht.fehler
    )
    return bericht


def abholen_alle() -> list[Bericht]:
    """Every active destination of every Mandant (the workers' periodic work)."""
    return [
        abholen(ziel=ziel)
        for ziel in FitConnectZiel.objects.unscoped().filter(aktiv=True).order_by("created_at")
    ]


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _einreichung(
    ziel: FitConnectZiel,
    dienst: Zustelldienst,
    keys: schluessel.Schluessel,
    eintrag: dict[str, Any],
    bericht: Bericht,
) -> None:
    submission_id = _uuid(eintrag.get("submissionId"))
    if submission_id is None:
        raise NichtErreichbar("Die Liste der Einreichungen nennt eine ungültige submissionId.")
    known = Einreichung.objects.for_tenant(ziel.tenant_id).filter(submission_id=submission_id)
    einreichung = known.first()
    if einreichung is None:
        submission = dienst.einreichung(str(submission_id))
        case_id = _uuid(submission.get("caseId"))
        if (
            case_id is None
            or _uuid(submission.get("submissionId")) != submission_id
            or _uuid(submission.get("destinationId")) != ziel.destination_id
        ):
            raise NichtErreichbar(
                f"Die Einreichung {submission_id} nennt einen anderen Zustellpunkt oder "
                "keine gültige caseId."
            )
        anlagen = {
            str(a).lower(): dienst.anlage(str(submission_id), str(a))
            for a in submission.get("attachments") or []
        }
        bericht.kids.add(pruefung.kid(submission.get("encryptedMetadata")))
        step_reached("abgeholt")
        einreichung = _entscheiden(ziel, keys, submission_id, case_id, submission, anlagen)
        if einreichung.state == Einreichung.State.ANGENOMMEN:
            bericht.angenommen.append(submission_id)
        else:
            bericht.abgelehnt.append(submission_id)
        step_reached("entschieden")
    if einreichung.ereignis_gesendet_at is None:
        _senden(einreichung, dienst, bericht)


def _entscheiden(
    ziel: FitConnectZiel,
    keys: schluessel.Schluessel,
    submission_id: uuid.UUID,
    case_id: uuid.UUID,
    submission: dict[str, Any],
    anlagen: dict[str, str],
) -> Einreichung:
    jti, now = uuid.uuid4(), timezone.now()

    def sign(event: str, payload: dict[str, Any]) -> str:
        return ereignisse.signieren(
            key=keys.signatur,
            jti=jti,
            destination_id=ziel.destination_id,
            submission_id=submission_id,
            case_id=case_id,
            at=now,
            event=event,
            payload=payload,
        )

    try:
        geprueft = pruefung.pruefen(
            submission=submission, anlagen=anlagen, key=keys.entschluesselungen()
        )
    except pruefung.Abgelehnt as refusal:
        token = sign(ereignisse.REJECT, {"problems": [refusal.as_problem()]})
        return _ablehnen(ziel, submission_id, case_id, submission, anlagen, refusal, token, jti)
    token = sign(ereignisse.ACCEPT, {"authenticationTags": geprueft.tags})
    return _annehmen(
        ziel, submission_id, case_id, _mit_fachdaten(geprueft, submission_id), token, jti
    )


def _mit_fachdaten(geprueft: pruefung.Geprueft, submission_id: uuid.UUID) -> pruefung.Geprueft:
    """A submission of data alone gets its data as a readable PDF for its batch's one
    document (else the batch would be empty and nobody would see what was sent)."""
    if geprueft.anlagen or geprueft.daten is None:
        return geprueft
    pdf = fachdaten.fachdaten_pdf(
        daten=geprueft.daten,
        mime=geprueft.daten_mime,
        metadaten=geprueft.metadaten,
        submission_id=str(submission_id),
    )
    anlage = pruefung.Anlage(
        attachment_id="data",
        name=f"01-{fachdaten.NAME}",
        mime_type="application/pdf",
        purpose="data",
        inhalt=pdf,
    )
    return replace(geprueft, anlagen=[anlage])


def _existing(ziel: FitConnectZiel, submission_id: uuid.UUID) -> Einreichung:
    return Einreichung.objects.for_tenant(ziel.tenant_id).get(submission_id=submission_id)


def _annehmen(
    ziel: FitConnectZiel,
    submission_id: uuid.UUID,
    case_id: uuid.UUID,
    geprueft: pruefung.Geprueft,
    token: str,
    jti: uuid.UUID,
) -> Einreichung:
    hashes = {
        a.name: (hashlib.sha256(a.inhalt).hexdigest(), len(a.inhalt)) for a in geprueft.anlagen
    }
    pending = documents.store_blobs(
        tenant_id=ziel.tenant_id, blobs=[(hashes[a.name][0], a.inhalt) for a in geprueft.anlagen]
    )
    manifest = geprueft.metadaten_text.encode("utf-8")
    manifest_sha256 = hashlib.sha256(manifest).hexdigest()
    try:
        with transaction.atomic():
            stapel = Stapel.objects.create(
                tenant_id=ziel.tenant_id,
                provider_id=ziel.eingerichtet_von_id,
                unit_id=ziel.unit_id,
                batch_id=f"fitconnect-{submission_id}",
                scan_date=timezone.localdate(),
                operator="FIT-Connect",
                scanner=f"Zustellpunkt {ziel.name}"[:200],
                quality={
                    "ergebnis": "bestanden",
                    "fitconnect": {"submission": str(submission_id), "case": str(case_id)},
                },
                quality_passed=True,
                manifest=geprueft.metadaten_text,
                manifest_sha256=manifest_sha256,
                delivery_sha256=lieferung.delivery_hash(
                    manifest_sha256, [(n, h) for n, (h, _) in hashes.items()]
                ),
                source=Stapel.Source.FITCONNECT,
                art=Stapel.Art.POST,
            )
            Stapeldatei.objects.bulk_create(
                Stapeldatei(
                    tenant_id=ziel.tenant_id,
                    stapel=stapel,
                    position=position,
                    name=anlage.name,
                    declared_sha256=hashes[anlage.name][0],
                    sha256=hashes[anlage.name][0],
                    size=hashes[anlage.name][1],
                )
                for position, anlage in enumerate(geprueft.anlagen)
            )
            job = jobs.start_job(
                actor=None,  # type: ignore[arg-type]  # the poll itself
                tenant=ziel.tenant,
                kind=lieferung.JOB_KIND,
                title=f"Prüfung FIT-Connect-Einreichung {submission_id}",
                params={"stapel": str(stapel.pk)},
            )
            Stapel.objects.for_tenant(ziel.tenant_id).filter(pk=stapel.pk).update(job_id=job.pk)
            einreichung = Einreichung.objects.create(
                tenant_id=ziel.tenant_id,
                ziel=ziel,
                submission_id=submission_id,
                case_id=case_id,
                state=Einreichung.State.ANGENOMMEN,
                stapel=stapel,
                metadaten=geprueft.metadaten_text,
                daten=(geprueft.daten or b"").decode("utf-8", errors="replace"),
                daten_mime=geprueft.daten_mime,
                ereignis=token,
                ereignis_jti=jti,
            )
            audit.record(
                actor=None,
                tenant_id=ziel.tenant_id,
                action="inbox.fitconnect.accept",
                obj=einreichung,
                changes={
                    "destination_id": str(ziel.destination_id),
                    "submission_id": str(submission_id),
                    "case_id": str(case_id),
                    "stapel": str(stapel.pk),
                    "manifest_sha256": manifest_sha256,
                    "files": {name: sha for name, (sha, _) in sorted(hashes.items())},
                    "ereignis_jti": str(jti),
                },
            )
            documents.settle_blobs(pending)
    except IntegrityError:
        # Another worker decided on the same submission and committed first.
        documents.discard_blobs(pending)
        return _existing(ziel, submission_id)
    except BaseException:
        documents.discard_blobs(pending)
        raise
    return einreichung


def _ablehnen(
    ziel: FitConnectZiel,
    submission_id: uuid.UUID,
    case_id: uuid.UUID,
    submission: dict[str, Any],
    anlagen: dict[str, str],
    refusal: pruefung.Abgelehnt,
    token: str,
    jti: uuid.UUID,
) -> Einreichung:
    grund = f"FIT-Connect-Einreichung abgelehnt: {refusal.grund}"
    roh = json.dumps({"submission": submission, "attachments": anlagen}, sort_keys=True)
    try:
        with transaction.atomic():
            einreichung = Einreichung.objects.create(
                tenant_id=ziel.tenant_id,
                ziel=ziel,
                submission_id=submission_id,
                case_id=case_id,
                state=Einreichung.State.ABGELEHNT,
                problem=refusal.problem,
                grund=grund,
                rohdaten=roh,
                ereignis=token,
                ereignis_jti=jti,
            )
            # The Posteingang's visible quarantine: the mail room and the provider see it.
            Ablehnung.objects.create(
                tenant_id=ziel.tenant_id,
                provider_id=ziel.eingerichtet_von_id,
                unit_id=ziel.unit_id,
                folder=f"FIT-Connect {submission_id}",
                kept_as=f"fitconnect:{einreichung.pk}",
                reason=grund,
            )
            audit.record(
                actor=None,
                tenant_id=ziel.tenant_id,
                action="inbox.fitconnect.reject",
                obj=einreichung,
                changes={
                    "destination_id": str(ziel.destination_id),
                    "submission_id": str(submission_id),
                    "case_id": str(case_id),
                    "problem": refusal.problem,
                    "instance": refusal.instance,
                    "grund": grund,
                    "rohdaten_sha256": hashlib.sha256(roh.encode()).hexdigest(),
                    "ereignis_jti": str(jti),
                },
            )
    except IntegrityError:
        return _existing(ziel, submission_id)
    return einreichung


def _senden(einreichung: Einreichung, dienst: Zustelldienst, bericht: Bericht) -> None:
    """Post the decision's event unless the case's log holds it already; mark it sent."""
    case_id = str(einreichung.case_id)
    if str(einreichung.ereignis_jti) not in {
        ereignisse.jti_of(t) for t in dienst.ereignisse(case_id)
    }:
        dienst.ereignis_senden(case_id, einreichung.ereignis)
    step_reached("gesendet")
    with transaction.atomic():
        marked = (
            Einreichung.objects.for_tenant(einreichung.tenant_id)
            .filter(pk=einreichung.pk, ereignis_gesendet_at__isnull=True)
            .update(ereignis_gesendet_at=timezone.now())
        )
        if marked:
            audit.record(
                actor=None,
                tenant_id=einreichung.tenant_id,
                action="inbox.fitconnect.event",
                obj=einreichung,
                changes={
                    "case_id": case_id,
                    "state": einreichung.state,
                    "ereignis_jti": str(einreichung.ereignis_jti),
                },
            )
    bericht.gesendet.append(einreichung.submission_id)
