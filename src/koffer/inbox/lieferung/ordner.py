"""The drop folder: batches a provider's SFTP server writes, taken in by ``manage.py
inbox_watch`` through the same service as the API.

Layout (``KOFFER_INBOX_DIR``, default ``var/inbox``)::

    <Mandant slug>/<provider's user name>/<batch folder>/
        lieferschein.json, 0001.pdf, 0002.tif, …, .fertig

The rule: a batch folder is complete when the marker file ``.fertig`` is in it; the
provider writes it last, after every file and the Lieferschein. Until then the folder is
left alone, however long it takes. A complete folder is moved (one rename, atomic on the
same file system) to ``.in-arbeit/`` and delivered from there; afterwards it is moved to
``.angenommen/<folder>.<Stapel id>`` or, refused, to ``.abgelehnt/<folder>.<time>`` with
the German reason in ``FEHLER.txt`` beside the files (nothing is deleted). A process
killed half-way leaves the folder in ``.in-arbeit/``; the next pass delivers it again,
which the delivery's idempotence turns into the stored answer.

Every worker runs a pass every ``KOFFER_INBOX_WATCH_SECONDS`` (``koffer.jobs.periodic``),
so two passes may meet: a batch folder another pass has already moved is skipped (it is
that pass's), and a delivery both make is stored once (``services.deliver``)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.errors import DomainError
from koffer.inbox.lieferung import manifest, services
from koffer.inbox.models import Stapel
from koffer.tenancy.models import Mandant

logger = logging.getLogger("koffer.inbox")

MARKER = ".fertig"
MANIFEST = "lieferschein.json"
WORKING = ".in-arbeit"
ACCEPTED = ".angenommen"
REFUSED = ".abgelehnt"
REASON = "FEHLER.txt"


@dataclass(frozen=True)
class PickedUp:
    folder: str
    stapel: Stapel | None  # None: refused
    created: bool = False
    reason: str = ""


def root() -> Path:
    return Path(settings.KOFFER_INBOX_DIR)


def _visible(path: Path) -> bool:
    """Not hidden, and no symbolic link: a link could point anywhere on this machine."""
    return not path.name.startswith(".") and not path.is_symlink()


def _providers(base: Path) -> list[tuple[Mandant, User, Path]]:
    found: list[tuple[Mandant, User, Path]] = []
    if not base.is_dir():
        return found
    for tenant_dir in sorted(p for p in base.iterdir() if p.is_dir() and _visible(p)):
        tenant = Mandant.objects.filter(slug=tenant_dir.name).first()
        if tenant is None:
            logger.warning("Übergabeordner %s: kein Mandant dieses Namens", tenant_dir.name)
            continue
        for provider_dir in sorted(p for p in tenant_dir.iterdir() if p.is_dir() and _visible(p)):
            user = User.objects.filter(username=provider_dir.name, is_active=True).first()
            if user is None:
                logger.warning("Übergabeordner %s: kein Konto dieses Namens", provider_dir)
                continue
            found.append((tenant, user, provider_dir))
    return found


def pick_up(base: Path | None = None) -> list[PickedUp]:
    """One pass over every provider's folder: first what an earlier pass left in
    ``.in-arbeit``, then every complete batch folder."""
    results: list[PickedUp] = []
    for tenant, user, folder in _providers(base or root()):
        working = folder / WORKING
        working.mkdir(exist_ok=True)
        for batch in sorted(p for p in folder.iterdir() if p.is_dir() and _visible(p)):
            if (batch / MARKER).is_file():
                _take(batch, working / batch.name)
        for batch in sorted(p for p in working.iterdir() if p.is_dir()):
            try:
                results.append(_deliver(tenant, user, batch))
            except FileNotFoundError:
                logger.info("Stapelordner %s nimmt schon ein anderer Durchgang an", batch.name)
    return results


def _take(batch: Path, target: Path) -> None:
    """Move ``batch`` to ``target``, unless another pass was quicker."""
    try:
        os.replace(batch, target)
    except FileNotFoundError:
        logger.info("Stapelordner %s nimmt schon ein anderer Durchgang an", batch.name)


def _deliver(tenant: Mandant, user: User, batch: Path) -> PickedUp:
    files = sorted(
        p
        for p in batch.iterdir()
        if p.is_file() and _visible(p) and p.name not in {MANIFEST, REASON}
    )
    note = batch / MANIFEST
    if not note.is_file() or note.is_symlink():
        return _refuse(tenant, user, batch, f"Der Lieferschein „{MANIFEST}“ fehlt im Stapelordner.")
    if note.stat().st_size > manifest.MAX_MANIFEST_BYTES:
        return _refuse(tenant, user, batch, manifest.refused("Er ist größer als 1 MB.").message)
    manifest_bytes = note.read_bytes()
    try:
        delivery = services.deliver(
            actor=user,
            access=Access.for_user(user.pk, tenant.pk),
            tenant=tenant,
            manifest_bytes=manifest_bytes,
            files=[services.IncomingFile(name=p.name, path=p) for p in files],
            source=Stapel.Source.ORDNER,
        )
    except DomainError as exc:
        return _refuse(tenant, user, batch, exc.message)
    _move(batch, batch.parent.parent / ACCEPTED, f"{batch.name}.{delivery.stapel.pk}")
    return PickedUp(batch.name, delivery.stapel, created=delivery.created)


def _move(batch: Path, target_dir: Path, name: str) -> None:
    target_dir.mkdir(exist_ok=True)
    os.replace(batch, target_dir / name)


def _refuse(tenant: Mandant, user: User, batch: Path, reason: str) -> PickedUp:
    """Keep the folder aside with its reason, and record it for the pages (the provider's
    and the mail room's), so that a refusal is never only in a folder and a log."""
    (batch / REASON).write_text(reason + "\n", encoding="utf-8")
    stamp = timezone.localtime().strftime("%Y%m%dT%H%M%S")
    kept_as = f"{batch.name}.{stamp}"
    _move(batch, batch.parent.parent / REFUSED, kept_as)
    logger.warning("Stapelordner %s abgelehnt: %s", batch.name, reason)
    services.record_refusal(
        actor=user,
        access=Access.for_user(user.pk, tenant.pk),
        tenant=tenant,
        folder=batch.name,
        kept_as=f"{REFUSED}/{kept_as}",
        reason=reason,
    )
    return PickedUp(batch.name, None, reason=reason)
