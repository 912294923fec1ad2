"""A draft begun offline on the Koffer and the expert session in the office: the office
answers a Koffer (its own token) whether it has the draft; on a Koffer without the office
„Im Büro mit Expertin/Experte ausfüllen“ says why and starts nothing; outside a Koffer the
button's URL does not exist. With the office as a real process:
test_experte_koffer_prozesse."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from django.urls import reverse
from uuid6 import uuid7

from koffer.field.geraete import services as geraete
from koffer.field.paket import abholung
from koffer.field.unterwegs import tasks
from koffer.jobs.models import Job
from tests import factories
from tests.conftest import signed_in
from tests.field.conftest import koffer_client
from tests.field.experte_daten import feld, sitzung
from tests.field.test_unterwegs_buero import koffer

__all__ = ["feld", "koffer"]  # fixtures


def _token(user: Any, tenant_id: Any) -> str:
    _, code = geraete.geraet_anlegen(actor=user, tenant_id=tenant_id, name="Laptop")
    return geraete.koppeln(code=code, client_ip="192.0.2.7")[1]


def test_the_office_tells_a_koffer_whether_it_has_the_draft(feld: dict[str, Any]) -> None:
    tenant_id = feld["entwurf"].tenant_id
    client = koffer_client(_token(feld["aussendienst"], tenant_id))
    url = f"/api/v1/koffer/experte/entwuerfe/{feld['entwurf'].pk}"
    antwort = client.get(url)
    assert antwort.status_code == 200
    assert antwort.json()["einladen"] == reverse(
        "field:experte_einladen", args=[feld["entwurf"].pk]
    )
    assert antwort.json()["sitzung"] is None
    row = sitzung(feld, beigetreten=False)
    assert client.get(url).json()["sitzung_url"] == reverse("field:experte_sitzung", args=[row.pk])

    unbekannt = client.get(f"/api/v1/koffer/experte/entwuerfe/{uuid7()}")
    assert unbekannt.status_code == 404
    # Another Mandant's Koffer learns nothing of this draft.
    anderer = factories.mandant()
    fremd = factories.user(anderer, role="aussendienst")
    assert koffer_client(_token(fremd, anderer.pk)).get(url).status_code == 404
    # Without a Koffer's token: refused.
    assert signed_in(feld["experte"]).get(url).status_code == 401


def test_on_a_koffer_without_the_office_the_draft_stays_and_the_page_says_why(
    feld: dict[str, Any],
    koffer: Path,
) -> None:
    with socket.socket() as s:  # a port nobody listens on: the office is away
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    abholung.zugang_speichern(abholung.Buero(url=f"http://127.0.0.1:{port}", token="kg_x"))
    client = signed_in(feld["aussendienst"])
    liste = client.get(reverse("field:experte")).content.decode()
    assert "Im Büro mit Expertin/Experte ausfüllen" in liste
    assert reverse("field:experte_einladen", args=[feld["entwurf"].pk]) not in liste

    antwort = client.post(reverse("field:experte_im_buero", args=[feld["entwurf"].pk]), follow=True)
    assert antwort.redirect_chain == [(reverse("field:experte"), 302)]
    assert "Das Büro ist nicht erreichbar" in antwort.content.decode()
    assert not Job.objects.unscoped().filter(kind=tasks.ABGLEICHEN).exists()


def test_the_button_is_the_koffers_only(feld: dict[str, Any]) -> None:
    url = reverse("field:experte_im_buero", args=[feld["entwurf"].pk])
    assert signed_in(feld["aussendienst"]).post(url).status_code == 404
