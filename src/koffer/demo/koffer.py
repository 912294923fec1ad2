"""The demo field worker's Koffer: registered (not yet paired: pairing needs a second koffer
on a laptop) with the first Akte of today's visits checked out, so „Mein Koffer“ shows a
Koffer and a checkout, the Akte its notice „Im Koffer bei …“, and the visit list which Akte
is already packed."""

from __future__ import annotations

from koffer.accounts.models import User
from koffer.field.geraete import services as geraete
from koffer.field.models import Hausbesuch

AUSSENDIENST = "aussendienst"


def load() -> None:
    worker = User.objects.filter(username=AUSSENDIENST).first()
    if worker is None:
        return
    besuch = (
        Hausbesuch.objects.unscoped()
        .filter(aussendienst=worker)
        .select_related("akte")
        .order_by("datum", "uhrzeit", "pk")
        .first()
    )
    if besuch is None:
        return
    geraet, _code = geraete.geraet_anlegen(
        actor=worker, tenant_id=besuch.tenant_id, name="Laptop Außendienst (Demo)"
    )
    geraete.ausleihen(actor=worker, geraet=geraet, akten=[besuch.akte])
