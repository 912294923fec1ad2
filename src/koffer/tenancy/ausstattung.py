"""What a new Mandant starts with beyond its root unit: apps register an installer in
``AppConfig.ready()`` (the E-Akte its Vorgangstypen and Fristregeln), and setting a Mandant
up (``accounts.einrichtung``, ``manage.py mandant_anlegen``) runs every one in the same
transaction. tenancy knows no app, so the apps come to it.

An installer takes ``actor`` and ``tenant`` (keywords), creates only what the Mandant
lacks, audits what it wrote, and returns German lines for the operator."""

from __future__ import annotations

from collections.abc import Callable

from koffer.audit.services import Actor
from koffer.tenancy.models import Mandant

Installer = Callable[..., list[str]]

_INSTALLERS: dict[str, Installer] = {}


def register(name: str, installer: Installer) -> None:
    """Add (or replace, by ``name``) an installer; called from an app's ``ready()``."""
    _INSTALLERS[name] = installer


def install(*, actor: Actor | None, tenant: Mandant) -> list[str]:
    """Run every registered installer for ``tenant``; their lines, in registration order."""
    lines: list[str] = []
    for installer in _INSTALLERS.values():
        lines += installer(actor=actor, tenant=tenant)
    return lines
