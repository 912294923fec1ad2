"""The Platzbörse's pages that show a youth office's Gesuch, on Citus: every statement on one
Mandant's shards (or the reference tables).

The provider's rows (its places, the holds and Belegungen on them) live in the provider's
Mandant, the Gesuch in the youth office's: a join between them is not co-located and
Citus refuses it (koffer.tenancy.across loads the Gesuch by Mandant and id instead). A
youth office looking at its Gesuch also reads the providers' rows: the matching places
(published offers, searched across providers) and the holds on its Gesuch (on the
providers' places) — those statements span the providers' shards by design and are named
by their table; everything on the youth office's own rows stays on its shard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from koffer.placements.belegung import services as belegung_services
from tests.conftest import signed_in
from tests.distributed.test_single_shard import _fanning_out, _report

pytestmark = pytest.mark.usefixtures("citus")

# The providers' tables a youth office reads across providers by design.
PROVIDER_TABLES = frozenset(
    {
        "placements_angebot",
        "placements_einrichtung",
        "placements_entgelt",
        "placements_platz",
        "placements_reservierung",
        "placements_belegung",
    }
)
FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)


def _main_table(sql: str) -> str:
    found = FROM.search(sql)
    return found.group(1) if found else ""


def test_provider_requests_page_is_single_shard() -> None:
    """The provider's open requests, each with the youth office's Gesuch (its pseudonym
    and criteria): the holds from the provider's shard, the Gesuche from the youth
    office's by Mandant and id."""
    from tests.placements.belegung.test_reservation_properties import World

    world = World()
    for gesuch, angebot in zip(world.gesuche[:2], world.angebote, strict=True):
        belegung_services.reserve(actor=world.caseworker, gesuch=gesuch, angebot=angebot)
    client = signed_in(world.provider)
    url = reverse("placements:anfragen")
    client.get(url)  # the session's first request
    responses = []
    spread = _fanning_out(lambda: responses.append(client.get(url)))
    assert not spread, _report(spread)
    page = responses[0].content.decode()
    assert responses[0].status_code == 200
    assert all(g.pseudonym in page for g in world.gesuche[:2])


@pytest.mark.parametrize("page", ["placements:gesuch", "placements:gesuche"])
def test_youth_office_gesuch_pages_read_its_own_rows_on_one_shard(page: str) -> None:
    """The youth office's Gesuch page and list: the Gesuche, their criteria, the read's
    audit on the youth office's shard; the holds on them and the matching places are the
    providers'."""
    from tests.placements.belegung.test_reservation_properties import World

    world = World()
    gesuch = world.gesuche[0]
    belegung_services.reserve(actor=world.caseworker, gesuch=gesuch, angebot=world.angebote[0])
    client = signed_in(world.caseworker)
    url = reverse(page, args=[gesuch.pk] if page == "placements:gesuch" else [])
    client.get(url)
    responses = []
    spread = _fanning_out(lambda: responses.append(client.get(url)))
    own = [(sql, plan) for sql, plan in spread if _main_table(sql) not in PROVIDER_TABLES]
    assert not own, _report(own)
    assert responses[0].status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", responses[0].content.decode()).split())
    assert gesuch.pseudonym in text
    if page == "placements:gesuch":  # the open request with its place
        assert "Haus am Hang" in text
    else:  # its row: … Status „offen“, 1 open request
        assert re.search(re.escape(gesuch.pseudonym) + r" .{0,80}? offen 1 ", text + " ")
