"""Every write of templates, text blocks and letterheads, for the Mandant's administration
(``access.manages_templates``, asked here, so page, API and demo cannot differ).

A template version is published only without mistakes: its text translated
(``sprache.uebersetze`` with the active text blocks and the version's fields) and
typeset on trial (``probesatz``) before the short transaction that numbers and stores it.
A version is never changed afterwards; ``Vorlage.aktuelle_version`` moves to the newest.
Every mistake is an :class:`Invalid` naming the form field it belongs beside; a mistake
in the text carries „Zeile X, Spalte Y“ (and the text block, if it lies in one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.outbox import access as outbox_access
from koffer.outbox.errors import Conflict, Forbidden, Invalid
from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage, VorlagenVersion
from koffer.outbox.satz import layout
from koffer.outbox.satz.schriftmass import breite_mm
from koffer.outbox.vorlagen import probesatz, selectors, sprache
from koffer.outbox.vorlagen.logo import pruefe_logo
from koffer.records.models import Module
from koffer.tenancy.models import Mandant, Organisationseinheit

MAX_RUECKSENDEANGABE = 80  # the return line above the address window holds no more
FELDTYPEN = {"text": "Text", "betrag": "Betrag (EUR)", "datum": "Datum"}
MAX_FELDER = 20
MAX_ANLAGEN = 20
MAX_ANLAGE = 200
MAX_LABEL = 100
MAX_TEXT = 50_000


def _check(access: Access | None, tenant: Mandant) -> None:
    """``None`` is the system itself (the demo loader)."""
    if access is not None and not outbox_access.manages_templates(access, tenant):
        raise Forbidden("forbidden", "Vorlagen und Briefköpfe pflegt die Administration.")


def _required(value: str, field: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid("required", message, field=field)
    return value


def _lines(value: str) -> str:
    """Lines of a multi-line field: trimmed, without empty ones."""
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


# --- Letterheads --------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefkopfAngaben:
    """What a letterhead says. ``logo_svg`` ``None`` keeps the present logo, ``""``
    removes it."""

    behoerde: str
    anschrift: str
    ruecksendeangabe: str
    abteilung: str = ""
    telefon: str = ""
    email: str = ""
    internet: str = ""
    oeffnungszeiten: str = ""
    bankverbindung: str = ""
    logo_svg: str | None = None


def _clean_briefkopf(angaben: BriefkopfAngaben) -> dict[str, Any]:
    ruecksende = " ".join(angaben.ruecksendeangabe.split())
    if not ruecksende:
        raise Invalid(
            "required", "Bitte geben Sie die Rücksendeangabe an.", field="ruecksendeangabe"
        )
    if len(ruecksende) > MAX_RUECKSENDEANGABE:
        raise Invalid(
            "ruecksendeangabe_too_long",
            f"Die Rücksendeangabe passt mit {len(ruecksende)} Zeichen nicht in die "
            f"Rücksendezeile des Anschriftfelds (höchstens {MAX_RUECKSENDEANGABE}).",
            field="ruecksendeangabe",
        )
    # Measured as the letter prints it: otherwise every letter with this head is refused.
    width = breite_mm(ruecksende, layout.SCHRIFTGRAD["ruecksendeangabe"])
    if width > layout.ANSCHRIFT_BREITE:
        raise Invalid(
            "ruecksendeangabe_too_wide",
            f"Die Rücksendeangabe ist gedruckt {width:.0f} mm breit; die Rücksendezeile des "
            f"Anschriftfelds hat {layout.ANSCHRIFT_BREITE:.0f} mm. Bitte kürzen Sie sie.",
            field="ruecksendeangabe",
        )
    anschrift = _lines(angaben.anschrift)
    if len(anschrift.splitlines()) < 2:
        raise Invalid(
            "anschrift_incomplete",
            "Die Anschrift braucht mindestens Straße (oder Postfach) und PLZ mit Ort, "
            "je in einer Zeile.",
            field="anschrift",
        )
    email = angaben.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Invalid(
                "email_invalid", "Die E-Mail-Adresse ist nicht gültig.", field="email"
            ) from None
    data: dict[str, Any] = {
        "behoerde": _required(angaben.behoerde, "behoerde", "Bitte nennen Sie die Behörde."),
        "abteilung": angaben.abteilung.strip(),
        "anschrift": anschrift,
        "ruecksendeangabe": ruecksende,
        "telefon": angaben.telefon.strip(),
        "email": email,
        "internet": angaben.internet.strip(),
        "oeffnungszeiten": _lines(angaben.oeffnungszeiten),
        "bankverbindung": _lines(angaben.bankverbindung),
    }
    if angaben.logo_svg is not None:
        data["logo_svg"] = pruefe_logo(angaben.logo_svg.encode("utf-8")) if angaben.logo_svg else ""
    return data


def save_briefkopf(
    *,
    actor: Actor | None,
    access: Access | None,
    tenant: Mandant,
    unit: Organisationseinheit | None,
    angaben: BriefkopfAngaben,
) -> Briefkopf:
    """The letterhead of ``unit`` (``None``: the Mandant's default), created or changed;
    the return line fits the address window, the logo is a plain drawing."""
    _check(access, tenant)
    if unit is not None and unit.tenant_id != tenant.pk:
        raise Forbidden(
            "forbidden", "Diese Organisationseinheit gehört zu einem anderen Mandanten."
        )
    data = _clean_briefkopf(angaben)
    with transaction.atomic():
        head = Briefkopf.objects.for_tenant(tenant).select_for_update().filter(unit=unit).first()
        created = head is None
        old = {} if head is None else {k: getattr(head, k) for k in data}
        if head is None:
            head = Briefkopf(tenant=tenant, unit=unit)
        for key, value in data.items():
            setattr(head, key, value)
        head.updated_at = timezone.now()
        try:
            with transaction.atomic():
                head.save()
        except IntegrityError:
            raise Conflict(
                "briefkopf_exists", "Diesen Briefkopf hat gerade jemand anderes angelegt."
            ) from None
        changes = audit.diff(old, data)
        if "logo_svg" in changes:  # the drawing itself is no reading for the audit
            changes["logo_svg"] = {"old": bool(old.get("logo_svg")), "new": bool(data["logo_svg"])}
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.briefkopf.create" if created else "outbox.briefkopf.change",
            obj=head,
            changes=changes,
        )
    return head


# --- Text blocks --------------------------------------------------------------------------


def _baustein_text(code: str, text: str) -> str:
    # Kept as typed (only line ends made one kind): a mistake's line and column must match
    # what the administrator sees in the field.
    text = text.replace("\r\n", "\n")
    _required(text, "text", "Bitte geben Sie den Text des Bausteins ein.")
    if len(text) > MAX_TEXT:
        raise Invalid("text_too_long", f"Der Text hat höchstens {MAX_TEXT} Zeichen.", field="text")
    try:
        sprache.pruefe_baustein(code, text)
    except sprache.Vorlagenfehler as fehler:
        raise _text_fehler(fehler) from None
    return text


def _code(code: str) -> str:
    code = _required(code, "code", "Bitte geben Sie ein Kürzel an.").lower()
    if not sprache.feldname_ok(code.replace("-", "_")):
        raise Invalid(
            "code_invalid",
            "Das Kürzel besteht aus Kleinbuchstaben, Ziffern, „-“ und „_“ und beginnt mit "
            "einem Buchstaben.",
            field="code",
        )
    return code


CodedRow = TypeVar("CodedRow", Textbaustein, Vorlage)


def _create_with_code(model: type[CodedRow], tenant: Mandant, code: str, **fields: Any) -> CodedRow:
    """A new text block or template; a code already taken (also by someone at the same
    moment: the unique constraint) is refused at the code field."""
    taken = Invalid("code_taken", f"Das Kürzel „{code}“ ist schon vergeben.", field="code")
    if model.objects.for_tenant(tenant).filter(code=code).exists():
        raise taken
    try:
        with transaction.atomic():
            return model.objects.create(
                tenant=tenant, code=code, updated_at=timezone.now(), **fields
            )
    except IntegrityError:
        raise taken from None


def _text_fehler(fehler: sprache.Vorlagenfehler) -> Invalid:
    return Invalid("template_error", str(fehler), field="text")


def create_baustein(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, code: str, titel: str, text: str
) -> Textbaustein:
    """A new text block; its text is checked like a template's (``pruefe_baustein``)."""
    _check(access, tenant)
    code = _code(code)
    titel = _required(titel, "titel", "Bitte geben Sie einen Titel an.")
    text = _baustein_text(code, text)
    with transaction.atomic():
        block = _create_with_code(Textbaustein, tenant, code, titel=titel, text=text)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.textbaustein.create",
            obj=block,
            changes={"code": code, "titel": titel},
        )
    return block


def change_baustein(
    *,
    actor: Actor | None,
    access: Access | None,
    tenant: Mandant,
    baustein: Textbaustein,
    titel: str,
    text: str,
) -> Textbaustein:
    """A text block's new title and text; versions published before keep the old text."""
    _check(access, tenant)
    titel = _required(titel, "titel", "Bitte geben Sie einen Titel an.")
    text = _baustein_text(baustein.code, text)
    with transaction.atomic():
        block = Textbaustein.objects.for_tenant(tenant).select_for_update().get(pk=baustein.pk)
        old = {"titel": block.titel, "text": block.text}
        block.titel, block.text, block.updated_at = titel, text, timezone.now()
        block.save(update_fields=["titel", "text", "updated_at"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.textbaustein.change",
            obj=block,
            changes=audit.diff(old, {"titel": titel, "text": text}),
        )
    return block


def deactivate_baustein(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, baustein: Textbaustein
) -> Textbaustein:
    """New versions can no longer use the block; published versions keep their copy."""
    _check(access, tenant)
    with transaction.atomic():
        block = Textbaustein.objects.for_tenant(tenant).select_for_update().get(pk=baustein.pk)
        if not block.is_active:
            return block
        block.is_active, block.updated_at = False, timezone.now()
        block.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.textbaustein.deactivate",
            obj=block,
            changes={"is_active": {"old": True, "new": False}},
        )
    return block


# --- Templates ----------------------------------------------------------------------------


class VierAugen:
    """The three four-eyes rules a template can have."""

    NIE = "nie"
    IMMER = "immer"
    AB_BETRAG = "ab_betrag"
    CHOICES = (
        (NIE, "nie"),
        (IMMER, "immer"),
        (AB_BETRAG, "ab einem Betrag"),
    )


def vier_augen_modus(vorlage: Vorlage) -> str:
    if not vorlage.vier_augen:
        return VierAugen.NIE
    return VierAugen.IMMER if vorlage.vier_augen_ab is None else VierAugen.AB_BETRAG


@dataclass(frozen=True)
class Einstellungen:
    """A template's settings (everything but its versions)."""

    titel: str
    art: str
    module: str
    form: str
    vier_augen: str  # VierAugen
    vier_augen_ab: Decimal | None = None
    is_active: bool = True


def _clean_einstellungen(e: Einstellungen) -> dict[str, Any]:
    if e.art not in Vorlage.Art.values:
        raise Invalid("art_invalid", "Bitte wählen Sie die Art der Vorlage.", field="art")
    if e.form not in Vorlage.Form.values:
        raise Invalid("form_invalid", "Bitte wählen Sie Form A oder B.", field="form")
    if e.module and e.module not in Module.values:
        raise Invalid("module_invalid", "Diesen Fachbereich gibt es nicht.", field="module")
    if e.vier_augen not in (VierAugen.NIE, VierAugen.IMMER, VierAugen.AB_BETRAG):
        raise Invalid("vier_augen_invalid", "Bitte wählen Sie die Freigabe.", field="vier_augen")
    ab = None
    if e.vier_augen == VierAugen.AB_BETRAG:
        if e.vier_augen_ab is None or e.vier_augen_ab < 0:
            raise Invalid(
                "vier_augen_ab_missing",
                "Bitte geben Sie den Betrag an, ab dem eine zweite Person freigibt.",
                field="vier_augen_ab",
            )
        ab = e.vier_augen_ab.quantize(Decimal("0.01"))
    return {
        "titel": _required(e.titel, "titel", "Bitte geben Sie einen Titel an."),
        "art": e.art,
        "module": e.module,
        "form": e.form,
        "vier_augen": e.vier_augen != VierAugen.NIE,
        "vier_augen_ab": ab,
        "is_active": e.is_active,
    }


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()}


def create_vorlage(
    *,
    actor: Actor | None,
    access: Access | None,
    tenant: Mandant,
    code: str,
    einstellungen: Einstellungen,
) -> Vorlage:
    """A new template without a version: letters can use it once one is published."""
    _check(access, tenant)
    code = _code(code)
    data = _clean_einstellungen(einstellungen)
    with transaction.atomic():
        row = _create_with_code(Vorlage, tenant, code, **data)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.vorlage.create",
            obj=row,
            changes=_jsonable({"code": code, **data}),
        )
    return row


def change_vorlage(
    *,
    actor: Actor | None,
    access: Access | None,
    tenant: Mandant,
    vorlage: Vorlage,
    einstellungen: Einstellungen,
) -> Vorlage:
    """A template's new settings. Four eyes from an amount on needs an amount field in the
    current version."""
    _check(access, tenant)
    data = _clean_einstellungen(einstellungen)
    with transaction.atomic():
        row = Vorlage.objects.for_tenant(tenant).select_for_update().get(pk=vorlage.pk)
        current = row.aktuelle_version
        if data["vier_augen_ab"] is not None and current is not None:
            _needs_amount(current.felder)
        old = {k: getattr(row, k) for k in data}
        for key, value in data.items():
            setattr(row, key, value)
        row.updated_at = timezone.now()
        row.save()
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.vorlage.change",
            obj=row,
            changes=_jsonable_diff(audit.diff(old, data)),
        )
    return row


def _jsonable_diff(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in changes.items()}


def _needs_amount(felder: list[dict[str, str]]) -> None:
    if not any(f.get("typ") == "betrag" for f in felder):
        raise Invalid(
            "betrag_missing",
            "Die Vier-Augen-Freigabe ab einem Betrag braucht ein Eingabefeld vom Typ "
            "„Betrag“ in der Vorlage.",
            field="felder",
        )


# --- Versions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Feld:
    """A value the writer enters per letter: ``{{ eingabe.<key> }}`` in the text."""

    key: str
    label: str
    typ: str


def _clean_felder(felder: list[Feld]) -> list[dict[str, str]]:
    if len(felder) > MAX_FELDER:
        raise Invalid("felder_too_many", f"Höchstens {MAX_FELDER} Eingabefelder.", field="felder")
    seen: set[str] = set()
    clean = []
    for number, feld in enumerate(felder, start=1):
        key, label = feld.key.strip(), " ".join(feld.label.split())
        where = f"Eingabefeld {number}: "
        if not sprache.feldname_ok(key):
            raise Invalid(
                "feld_invalid",
                f"{where}Der Schlüssel „{key}“ besteht aus Kleinbuchstaben, Ziffern und „_“ "
                "und beginnt mit einem Buchstaben.",
                field="felder",
            )
        if key in seen:
            raise Invalid("feld_invalid", f"{where}„{key}“ kommt doppelt vor.", field="felder")
        if not label or len(label) > MAX_LABEL:
            raise Invalid(
                "feld_invalid",
                f"{where}Bitte eine Bezeichnung mit höchstens {MAX_LABEL} Zeichen.",
                field="felder",
            )
        if feld.typ not in FELDTYPEN:
            raise Invalid(
                "feld_invalid",
                f"{where}Der Typ ist „text“, „betrag“ oder „datum“.",
                field="felder",
            )
        seen.add(key)
        clean.append(asdict(Feld(key, label, feld.typ)))
    return clean


def _clean_anlagen(anlagen: list[str]) -> list[str]:
    clean = [" ".join(a.split()) for a in anlagen if a.strip()]
    if len(clean) > MAX_ANLAGEN:
        raise Invalid("anlagen_too_many", f"Höchstens {MAX_ANLAGEN} Anlagen.", field="anlagen")
    if any(len(a) > MAX_ANLAGE for a in clean):
        raise Invalid(
            "anlage_too_long", f"Eine Anlage hat höchstens {MAX_ANLAGE} Zeichen.", field="anlagen"
        )
    return clean


def _clean_betreff(betreff: str) -> str:
    betreff = " ".join(betreff.split())
    if not betreff:
        raise Invalid("required", "Bitte geben Sie den Betreff an.", field="betreff")
    if len(betreff) > 300:
        raise Invalid("betreff_too_long", "Der Betreff hat höchstens 300 Zeichen.", field="betreff")
    if "{{" in betreff or "}}" in betreff:
        raise Invalid(
            "betreff_placeholder",
            "Der Betreff wird gedruckt, wie er hier steht: ohne Platzhalter. Aktenzeichen "
            "und Datum stehen im Informationsblock des Briefs.",
            field="betreff",
        )
    return betreff


@dataclass(frozen=True)
class Entwurf:
    """What an administrator submits as a new version."""

    betreff: str
    text: str
    anlagen: list[str]
    felder: list[Feld]


def pruefe_entwurf(tenant: Mandant, vorlage: Vorlage, entwurf: Entwurf) -> dict[str, Any]:
    """The version's values, checked (translated and typeset on trial); :class:`Invalid`
    at the first mistake. No write: the slow trial runs outside any transaction."""
    betreff = _clean_betreff(entwurf.betreff)
    felder = _clean_felder(entwurf.felder)
    anlagen = _clean_anlagen(entwurf.anlagen)
    if vorlage.vier_augen_ab is not None:
        _needs_amount(felder)
    text = entwurf.text.replace("\r\n", "\n")  # as typed: positions match the field
    if not text.strip():
        raise Invalid("required", "Bitte geben Sie den Text der Vorlage ein.", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid("text_too_long", f"Der Text hat höchstens {MAX_TEXT} Zeichen.", field="text")
    bausteine = selectors.aktive_bausteine(tenant.pk)
    try:
        uebersetzt = sprache.uebersetze(
            text, bausteine=bausteine, felder=frozenset(f["key"] for f in felder)
        )
        probesatz.pruefe_satz(uebersetzt, text=text, bausteine=bausteine, felder=felder)
    except sprache.Vorlagenfehler as fehler:
        raise _text_fehler(fehler) from None
    return {
        "betreff": betreff,
        "text": text,
        "text_satz": uebersetzt.text_satz,
        "anlagen": anlagen,
        "felder": felder,
        "bausteine": list(uebersetzt.bausteine),
    }


def publish_version(
    *,
    actor: Actor | None,
    access: Access | None,
    tenant: Mandant,
    vorlage: Vorlage,
    entwurf: Entwurf,
) -> VorlagenVersion:
    """A new, immutable version of ``vorlage`` (the next number), which becomes its current
    one; refused with the first mistake (line and column in the text) before anything is
    stored, so a version with errors never exists."""
    _check(access, tenant)
    values = pruefe_entwurf(tenant, vorlage, entwurf)
    with transaction.atomic():
        row = Vorlage.objects.for_tenant(tenant).select_for_update().get(pk=vorlage.pk)
        if row.vier_augen_ab is not None:  # the settings as they are now, not as read before
            _needs_amount(values["felder"])
        last = (
            VorlagenVersion.objects.for_tenant(tenant)
            .filter(vorlage=row)
            .aggregate(n=Max("nummer"))["n"]
        )
        now = timezone.now()
        try:
            with transaction.atomic():
                version = VorlagenVersion.objects.create(
                    tenant=tenant,
                    vorlage=row,
                    nummer=(last or 0) + 1,
                    created_at=now,
                    created_by=actor if isinstance(actor, User) else None,
                    **values,
                )
        except IntegrityError:
            raise Conflict(
                "version_taken",
                "Gerade hat jemand anderes eine Version veröffentlicht. Bitte laden Sie die "
                "Seite neu.",
            ) from None
        row.aktuelle_version, row.updated_at = version, now
        row.save(update_fields=["aktuelle_version", "updated_at"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.vorlage.publish",
            obj=row,
            changes={
                "nummer": version.nummer,
                "betreff": version.betreff,
                "bausteine": version.bausteine,
            },
        )
    return version
