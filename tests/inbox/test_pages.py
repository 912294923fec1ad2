"""Pages of the Posteingang: the mail room's arriving batches and one batch, the
provider's own deliveries, the mail room's start task; and who may not see them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from koffer.accounts.models import User
from koffer.inbox.models import Stapel
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.inbox import scans
from tests.inbox.conftest import Deliver, Provider, checked

pytestmark = pytest.mark.django_db


def _batches(deliver: Deliver, provider: Provider) -> tuple[Stapel, Stapel]:
    good = {"0001.pdf": scans.pdf()}
    fine = checked(deliver(good, scans.manifest(good, batch_id="GUT-1")).stapel)
    bad = {"0001.pdf": scans.pdf(), "extra.pdf": scans.pdf()}
    note = scans.manifest({"0001.pdf": bad["0001.pdf"]}, batch_id="PROBLEM-1")
    return fine, checked(deliver(bad, note).stapel)


def test_mail_room_lists_batches_and_opens_one(
    deliver: Deliver, provider: Provider, mail_room: User
) -> None:
    _, bad = _batches(deliver, provider)
    client = signed_in(mail_room)
    page = client.get(reverse("inbox:stapel_list")).content.decode()
    assert "GUT-1" in page and "PROBLEM-1" in page
    assert "verarbeitet" in page and "mit Problemen" in page
    detail = client.get(reverse("inbox:stapel_detail", args=[bad.pk])).content.decode()
    assert "<h1" in detail and "Scan-Stapel PROBLEM-1" in detail
    assert "„extra.pdf“ wurde geliefert, steht aber nicht im Lieferschein" in detail
    assert "extra.pdf (nicht im Lieferschein)" in detail and "Quarantäne" in detail
    assert bad.manifest_sha256 in detail
    start = client.get("/").content.decode()
    assert "1 Scan-Stapel mit Problemen" in start
    assert reverse("inbox:stapel_detail", args=[bad.pk]) in start
    assert 'href="/posteingang/"' in start  # the module in the navigation


def test_list_pages_query_counts_do_not_grow(
    deliver: Deliver, provider: Provider, mail_room: User
) -> None:
    for n in range(3):
        files = {f"{n}.pdf": scans.pdf()}
        checked(deliver(files, scans.manifest(files, batch_id=f"B-{n}")).stapel)
    client = signed_in(mail_room)
    client.get(reverse("inbox:stapel_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox:stapel_list"))
    for n in range(3, 9):
        files = {f"{n}.pdf": scans.pdf()}
        checked(deliver(files, scans.manifest(files, batch_id=f"B-{n}")).stapel)
    with CaptureQueriesContext(connection) as more:
        assert "B-8" in client.get(reverse("inbox:stapel_list")).content.decode()
    assert 0 < len(more.captured_queries) == len(few.captured_queries)


def test_a_person_delivering_scans_sees_only_own_batches(
    deliver: Deliver,
    provider: Provider,
    tenant: Mandant,
    poststelle: Organisationseinheit,
) -> None:
    _batches(deliver, provider)
    # A mail room clerk who scans in-house delivers under their own account.
    clerk = factories.user(tenant, role="poststelle", unit_=poststelle)
    own = {"eigen.pdf": scans.pdf()}
    mine = checked(
        deliver(own, scans.manifest(own, batch_id="EIGEN-1"), as_=Provider(clerk, "")).stapel
    )
    page = signed_in(clerk).get(reverse("inbox:einlieferungen")).content.decode()
    assert "EIGEN-1" in page and "GUT-1" not in page and "PROBLEM-1" not in page
    assert reverse("inbox:stapel_detail", args=[mine.pk]) in page


def test_others_get_403_or_404(
    deliver: Deliver, provider: Provider, tenant: Mandant, other_tenant: Mandant
) -> None:
    _, bad = _batches(deliver, provider)
    caseworker = signed_in(factories.user(tenant))
    for name, args in (("inbox:stapel_list", []), ("inbox:einlieferungen", [])):
        assert caseworker.get(reverse(name, args=args)).status_code == 403
    assert caseworker.get(reverse("inbox:stapel_detail", args=[bad.pk])).status_code == 403
    start = caseworker.get("/").content.decode()
    assert "Scan-Stapel" not in start
    # The mail room of another Mandant does not find the batch at all.
    elsewhere = signed_in(factories.user(other_tenant, role="poststelle"))
    assert elsewhere.get(reverse("inbox:stapel_detail", args=[bad.pk])).status_code == 404


def test_a_traeger_has_no_posteingang(deliver: Any) -> None:
    traeger = factories.mandant(kind=Mandant.Kind.TRAEGER)
    person = factories.user(traeger, role="platzverwaltung")
    assert signed_in(person).get(reverse("inbox:stapel_list")).status_code == 403
