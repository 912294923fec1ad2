"""Setting up a new Mandant (``manage.py mandant_anlegen``): the Mandant with its root
unit (``tenancy.services.create_mandant``), what every app gives a new Mandant
(``tenancy.ausstattung``) and its first administrator (``accounts.services.create_user``,
role Mandanten-Administration in the root unit) — in one transaction, each part audited
by its own service, so a refusal anywhere leaves nothing behind.

The administrator's first password is made here, handed back once for the operator to
pass on, and stored only as its hash; it must be replaced at the first sign-in, and the
second factor is enrolled then (``KOFFER_REQUIRE_OTP``)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.accounts.services import AccountError
from koffer.audit.services import Actor
from koffer.tenancy import ausstattung
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

ADMIN_ROLE = "mandant_admin"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
USERNAME = re.compile(r"[\w.@+-]+")
# No 0/O, 1/l/I: the password is read aloud or typed from a printout.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_GROUPS, GROUP_LENGTH = 4, 5  # 20 characters, about 116 bits


@dataclass(frozen=True)
class NeuerMandant:
    """What was set up; ``kennwort`` exists only in this object, never in the database."""

    mandant: Mandant
    wurzel: Organisationseinheit
    admin: User
    kennwort: str
    ausstattung: list[str] = field(default_factory=list)


def mandant_anlegen(
    *,
    actor: Actor | None,
    slug: str,
    name: str,
    kind: str,
    leitweg_id: str = "",
    admin_username: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
) -> NeuerMandant:
    """Create the Mandant ``slug`` with its defaults and its first administrator.

    Refused with an ``AccountError`` (German message, nothing written) when the input is
    malformed, the Mandant ``slug`` exists already, or the administrator's name or
    address is taken (names and addresses are global across Mandanten)."""
    slug, name = slug.strip(), " ".join(name.split())
    admin_username, admin_email = admin_username.strip(), admin_email.strip()
    _check(slug=slug, name=name, kind=kind, username=admin_username, email=admin_email)
    if Mandant.objects.filter(slug=slug).exists():
        raise _exists(slug)
    kennwort = einmalkennwort()
    try:
        with transaction.atomic():
            mandant = tenancy.create_mandant(
                actor=actor, slug=slug, name=name, kind=kind, leitweg_id=leitweg_id.strip()
            )
            wurzel = Organisationseinheit.objects.for_tenant(mandant).get(parent=None)
            lines = ausstattung.install(actor=actor, tenant=mandant)
            admin = accounts.create_user(
                actor=actor,
                tenant=mandant,
                username=admin_username,
                first_name=admin_first_name.strip(),
                last_name=admin_last_name.strip(),
                email=admin_email,
                password=kennwort,
                unit=wurzel,
                role=ADMIN_ROLE,
                must_change_password=True,
            )
    except ValidationError as exc:  # the Leitweg-ID's form or check digit
        raise AccountError("leitweg_id", " ".join(exc.messages)) from exc
    except IntegrityError as exc:  # the same slug set up at the same moment elsewhere
        if Mandant.objects.filter(slug=slug).exists():
            raise _exists(slug) from exc
        raise
    return NeuerMandant(mandant, wurzel, admin, kennwort, lines)


def einmalkennwort() -> str:
    """A random first password in groups (``abcde-fghij-…``), easy to pass on by hand."""
    return "-".join(
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )


def _exists(slug: str) -> AccountError:
    return AccountError(
        "mandant_exists",
        f"Den Mandanten „{slug}“ gibt es bereits; es wurde nichts geändert.",
    )


def _check(*, slug: str, name: str, kind: str, username: str, email: str) -> None:
    slug_max = Mandant._meta.get_field("slug").max_length or 60
    if not SLUG.fullmatch(slug) or len(slug) > slug_max:
        raise AccountError(
            "slug_invalid",
            f"Das Kürzel „{slug}“ geht nicht: nur Kleinbuchstaben, Ziffern und einzelne "
            f"Bindestriche, höchstens {slug_max} Zeichen (z. B. „kreis-beispielstadt“).",
        )
    name_max = Mandant._meta.get_field("name").max_length or 200
    if not name or len(name) > name_max:
        raise AccountError(
            "name_invalid", f"Der Name fehlt oder ist länger als {name_max} Zeichen."
        )
    if kind not in Mandant.Kind.values:
        kinds = ", ".join(f"{value} ({label})" for value, label in Mandant.Kind.choices)
        raise AccountError("kind_unknown", f"Die Art „{kind}“ gibt es nicht. Möglich: {kinds}.")
    username_max = User._meta.get_field("username").max_length or 150
    if not USERNAME.fullmatch(username) or len(username) > username_max:
        raise AccountError(
            "username_invalid",
            "Der Benutzername der Administration fehlt oder enthält anderes als Buchstaben, "
            f"Ziffern und @ . + - _ (höchstens {username_max} Zeichen).",
        )
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AccountError("email_invalid", f"„{email}“ ist keine gültige E-Mail-Adresse.") from exc
