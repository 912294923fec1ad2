"""E-mail accounts, the fallback where a Mandant allows them (``PortalEinstellung``).

Register with address and password (Django's hashers, in ``EmailZugang``: never a staff
user), confirm the address by a signed link (``KOFFER_PORTAL_EMAIL_LINK_HOURS``), sign in.
No enumeration: registering a known address answers exactly as a new one (the owner gets
a notice by mail instead of a link), and every failed sign-in has the same message. The
sign-in is rate-limited by the staff sign-in's lock-out (``accounts.lockout``): failures
per address typed and per client address. Every mail (registration, „Bestätigungslink
erneut senden“) counts against ``portal.drossel``'s limits per address and per client
address, known and unknown addresses alike; registering a known address costs the same
password hash as a new one. Level of assurance: always "niedrig".

No mail is sent in the request: each is a ``PortalMail`` and a job ``portal.email``
(:func:`register_job_kind`), so the page answers without waiting for the mail server, and
a failed send is a failed job on „Aufträge“ that can be retried.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from koffer.accounts import lockout
from koffer.audit import services as audit
from koffer.jobs import registry
from koffer.jobs import services as jobs
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.portal import drossel, saml
from koffer.portal.errors import PortalError, ZuVieleVersuche
from koffer.portal.models import (
    Buergerkonto,
    EmailZugang,
    PortalEinstellung,
    PortalMail,
    Vertrauensniveau,
)
from koffer.portal.services import anmeldung_fehlgeschlagen
from koffer.tenancy.models import Mandant

LINK_SALZ = "koffer.portal.email.bestaetigen"
JOB_KIND = "portal.email"
FALSCH = "E-Mail-Adresse oder Passwort sind falsch, oder die Adresse ist noch nicht bestätigt."
LINK_UNGUELTIG = (
    "Der Bestätigungslink ist ungültig oder abgelaufen. Bitte registrieren Sie sich erneut."
)
# Compared against when the address is unknown, so that both cost one hash.
_DUMMY_HASH = make_password("koffer-portal-dummy")


def erlaubt(mandant: Mandant) -> bool:
    """Whether the Mandant's portal offers e-mail accounts (default: no)."""
    return PortalEinstellung.objects.for_tenant(mandant).filter(email_konten_erlaubt=True).exists()


def _adresse(email: str) -> str:
    return email.strip().lower()


def kennung(email: str) -> str:
    return "email:" + _adresse(email)


def _lockout_key(mandant: Mandant, email: str) -> str:
    digest = hashlib.sha256(f"{mandant.pk}:{_adresse(email)}".encode()).hexdigest()
    return "portal:" + digest


def _link(mandant: Mandant, konto: Buergerkonto) -> str:
    token = signing.dumps({"k": str(konto.pk), "e": konto.email}, salt=LINK_SALZ)
    path = reverse("portal:email_bestaetigen", kwargs={"mandant": mandant.slug, "token": token})
    return saml.base_url() + path


def _mails_zaehlen(mandant: Mandant, adresse: str, client_ip: str) -> None:
    """Each mail this page sends counts per address and per client address
    (``portal.drossel``), known addresses and unknown ones alike."""
    drossel.zaehlen(
        tenant_id=mandant.pk,
        grenzen=[("email_adresse", adresse), ("email_client", client_ip)],
    )


def registrieren(*, mandant: Mandant, email: str, password: str, client_ip: str = "") -> None:
    """Register ``email`` at ``mandant``'s portal: a new account gets a confirmation link
    by mail; a known address gets a notice instead. The caller answers the same either
    way, and both ways cost one password hash. Raises :class:`PortalError` for a password
    the validators refuse, :class:`ZuVieleVersuche` past the rate limit."""
    if not erlaubt(mandant):
        raise PortalError("email_aus", "Konten mit E-Mail-Adresse sind hier nicht möglich.")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise PortalError("passwort", " ".join(exc.messages)) from exc
    adresse = _adresse(email)
    _mails_zaehlen(mandant, adresse, client_ip)
    # Hashed before the account is tried, so that a known address (no account made)
    # answers in the same time as a new one.
    passwort_hash = make_password(password)
    try:
        with transaction.atomic():
            konto = Buergerkonto.objects.create(
                tenant=mandant,
                kennung=kennung(adresse),
                art=Buergerkonto.Art.EMAIL,
                vertrauensniveau=Vertrauensniveau.NIEDRIG,
                email=adresse,
            )
            EmailZugang.objects.create(tenant=mandant, konto=konto, password=passwort_hash)
            audit.record(
                actor=konto, tenant_id=mandant.pk, action="portal.emailkonto.create", obj=konto
            )
            _einreihen(mandant, PortalMail.Art.LINK, adresse, konto)
    except IntegrityError:
        _einreihen(mandant, PortalMail.Art.BEKANNT, adresse)


def link_erneut_senden(*, mandant: Mandant, email: str, client_ip: str = "") -> None:
    """„Bestätigungslink erneut senden“: an unconfirmed account gets a new link, a
    confirmed one the notice that it exists, an unknown address the notice that there is
    none. One mail in every case, so that neither the answer (the caller's is the same)
    nor its time tells whether an account exists; the rate limit counts all three."""
    if not erlaubt(mandant):
        raise PortalError("email_aus", "Konten mit E-Mail-Adresse sind hier nicht möglich.")
    adresse = _adresse(email)
    _mails_zaehlen(mandant, adresse, client_ip)
    konto = (
        Buergerkonto.objects.for_tenant(mandant)
        .filter(kennung=kennung(adresse), art=Buergerkonto.Art.EMAIL)
        .first()
    )
    if konto is None:
        _einreihen(mandant, PortalMail.Art.UNBEKANNT, adresse)
    elif konto.email_bestaetigt_am is not None:
        _einreihen(mandant, PortalMail.Art.BEKANNT, adresse)
    else:
        _einreihen(mandant, PortalMail.Art.LINK, adresse, konto)


# --- the mails, sent by the job ``portal.email`` ------------------------------------------


def _einreihen(
    mandant: Mandant, art: str, adresse: str, konto: Buergerkonto | None = None
) -> PortalMail:
    """The mail and its job, queued once the caller's transaction commits (the job's
    parameters name the mail only, so no address reaches the job list or the audit)."""
    with transaction.atomic():
        eintrag = PortalMail.objects.create(
            tenant=mandant, art=art, konto=konto, adresse=adresse, erstellt_am=timezone.now()
        )
        jobs.start_job(
            actor=None,  # type: ignore[arg-type]  # the system's job; the page's write is audited
            tenant=mandant,
            kind=JOB_KIND,
            title=f"Online-Dienste: E-Mail ({PortalMail.Art(art).label})",
            params={"mail": str(eintrag.pk)},
        )
    return eintrag


def _text(mandant: Mandant, eintrag: PortalMail) -> tuple[str, str]:
    """Subject and body of a mail, made when it is sent."""
    if eintrag.art == PortalMail.Art.LINK:
        if eintrag.konto is None:
            raise JobError("Das Konto dieser E-Mail gibt es nicht mehr.")
        link = _link(mandant, eintrag.konto)
        return (
            f"{mandant.name}: Bitte bestätigen Sie Ihre E-Mail-Adresse",
            "Guten Tag,\n\nbitte bestätigen Sie Ihre E-Mail-Adresse für die Online-Dienste "
            f"von {mandant.name}:\n\n{link}\n\nDer Link gilt "
            f"{settings.KOFFER_PORTAL_EMAIL_LINK_HOURS} Stunden. Wenn Sie sich nicht "
            "registriert haben, können Sie diese E-Mail ignorieren.\n",
        )
    if eintrag.art == PortalMail.Art.UNBEKANNT:
        registrieren = saml.base_url() + reverse(
            "portal:email_registrieren", kwargs={"mandant": mandant.slug}
        )
        return (
            f"{mandant.name}: Kein Konto mit dieser E-Mail-Adresse",
            "Guten Tag,\n\nfür diese E-Mail-Adresse wurde ein Bestätigungslink für die "
            f"Online-Dienste von {mandant.name} angefordert, es gibt aber kein Konto mit ihr. "
            f"Sie können sich hier registrieren:\n\n{registrieren}\n\n"
            "Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.\n",
        )
    anmelden = saml.base_url() + reverse("portal:email_anmelden", kwargs={"mandant": mandant.slug})
    return (
        f"{mandant.name}: Sie haben bereits ein Konto",
        "Guten Tag,\n\nfür diese E-Mail-Adresse gibt es bei den Online-Dienste von "
        f"{mandant.name} schon ein Konto. Melden Sie sich hier an:\n\n{anmelden}\n\n"
        "Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.\n",
    )


def senden(tenant_id: uuid.UUID, mail_id: str) -> int:
    """Send one queued mail (0 when it went out already); its address is cleared once
    sent. A failure of the mail server raises :class:`JobError` with a German reason."""
    try:
        pk = uuid.UUID(mail_id)
    except ValueError as exc:
        raise JobError("Diese E-Mail gibt es nicht.") from exc
    eintrag = (
        PortalMail.objects.for_tenant(tenant_id)
        .select_related("konto", "tenant")
        .filter(pk=pk)
        .first()
    )
    if eintrag is None:
        raise JobError("Diese E-Mail gibt es nicht.")
    if eintrag.gesendet_am is not None:
        return 0
    betreff, text = _text(eintrag.tenant, eintrag)
    try:
        send_mail(betreff, text, None, [eintrag.adresse])
    except Exception as exc:  # the mail server's failure, whatever its kind
        raise JobError(
            f"Die E-Mail konnte nicht gesendet werden ({type(exc).__name__}: {exc})."[:500]
        ) from exc
    PortalMail.objects.for_tenant(tenant_id).filter(pk=eintrag.pk).update(
        gesendet_am=timezone.now(), adresse=""
    )
    return 1


def _job(run: JobRun) -> Outcome:
    mail_id = str(run.params.get("mail", ""))
    done = run.step("senden", lambda: {"gesendet": senden(run.tenant_id, mail_id)}, atomic=False)
    return Outcome("E-Mail gesendet." if done["gesendet"] else "E-Mail war schon gesendet.")


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Online-Dienste: E-Mail",
            description="Sendet eine E-Mail der Konten mit E-Mail-Adresse (Bestätigungslink "
            "oder Hinweis) außerhalb der Anfrage; schlägt das Senden fehl, kann der Auftrag "
            "wiederholt werden.",
            handler=_job,
            offered=False,
        )
    )


def bestaetigen(*, mandant: Mandant, token: str) -> Buergerkonto:
    """Confirm the address the signed ``token`` names; idempotent."""
    try:
        wert = signing.loads(
            token, salt=LINK_SALZ, max_age=settings.KOFFER_PORTAL_EMAIL_LINK_HOURS * 3600
        )
    except signing.BadSignature as exc:
        raise PortalError("link", LINK_UNGUELTIG) from exc
    with transaction.atomic():
        konto = (
            Buergerkonto.objects.for_tenant(mandant)
            .select_for_update()
            .filter(pk=wert.get("k"), email=wert.get("e"), art=Buergerkonto.Art.EMAIL)
            .first()
        )
        if konto is None:
            raise PortalError("link", LINK_UNGUELTIG)
        if konto.email_bestaetigt_am is None:
            konto.email_bestaetigt_am = timezone.now()
            konto.save(update_fields=["email_bestaetigt_am"])
            audit.record(
                actor=konto,
                tenant_id=mandant.pk,
                action="portal.emailkonto.bestaetigt",
                obj=konto,
            )
    return konto


def anmelden(*, mandant: Mandant, email: str, password: str, client_ip: str) -> Buergerkonto:
    """The confirmed account whose password matches, audited; else :class:`PortalError`
    with one message for every cause, or :class:`ZuVieleVersuche`."""
    now: datetime = timezone.now()
    key = _lockout_key(mandant, email)
    if lockout.refusal(key=key, client_ip=client_ip, now=now) is not None:
        anmeldung_fehlgeschlagen(tenant=mandant, art="email", code="gesperrt")
        raise ZuVieleVersuche("gesperrt", lockout.locked_message())
    konto = (
        Buergerkonto.objects.for_tenant(mandant)
        .filter(kennung=kennung(email), art=Buergerkonto.Art.EMAIL)
        .select_related("zugang")
        .first()
    )
    zugang = getattr(konto, "zugang", None) if konto is not None else None
    passt = check_password(password, zugang.password if zugang else _DUMMY_HASH)
    if konto is None or zugang is None or not passt or konto.email_bestaetigt_am is None:
        with transaction.atomic():
            lockout.record_failure(key=key, client_ip=client_ip, now=now)
        anmeldung_fehlgeschlagen(tenant=mandant, art="email", code="falsch")
        raise PortalError("falsch", FALSCH)
    lockout.clear(key=key)
    with transaction.atomic():
        audit.record(
            actor=konto,
            tenant_id=mandant.pk,
            action="portal.anmeldung",
            obj=konto,
            subject=konto.person,
            changes={"art": "email", "vertrauensniveau": Vertrauensniveau.NIEDRIG},
        )
    return konto
