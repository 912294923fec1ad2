"""Rules of local printing that need no printer: a printer's address, a print that is
running is not started twice, letters of other channels are not printed, the IPP
encoding read back."""

from __future__ import annotations

import pytest

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.outbox.errors import Conflict, Forbidden, Invalid
from koffer.outbox.lokaldruck import ipp, services
from koffer.outbox.models import Brief
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.outbox.factories import released_letter
from tests.outbox.lokaldruck.conftest import add_printer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("uri", "code"),
    [
        ("http://drucker:631/ipp/print", "uri_scheme"),
        ("drucker.example", "uri_scheme"),
        ("ipp://user:geheim@drucker/ipp/print", "uri_credentials"),
        ("ipp://user@drucker/ipp/print", "uri_credentials"),
        ("ipp:///ipp/print", "uri_host"),
        ("ipp://drucker:99999/ipp/print", "uri_invalid"),
    ],
)
def test_a_printer_address_is_checked(uri: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        services.clean_uri(uri)
    assert refused.value.code == code and refused.value.field == "uri"


def test_good_addresses_pass() -> None:
    assert services.clean_uri(" ipps://drucker.amt.example/ipp/print ") == (
        "ipps://drucker.amt.example/ipp/print"
    )
    assert services.clean_uri("ipp://10.0.0.7:631/printers/team1")


def test_only_the_administration_sets_up_printers(tenant: Mandant, team_caseworker: User) -> None:
    with pytest.raises(Forbidden):
        add_printer(tenant, team_caseworker, "ipp://drucker/ipp/print")


def test_a_running_print_is_not_started_twice(
    tenant: Mandant, admin_user: User, team_caseworker: User, brief: Brief
) -> None:
    drucker = add_printer(tenant, admin_user, "ipp://127.0.0.1:9/ipp/print")
    access = Access.for_user(team_caseworker.pk, tenant.pk)
    services.drucken(actor=team_caseworker, access=access, ziel=brief, drucker=drucker)
    with pytest.raises(Conflict) as refused:
        services.drucken(
            actor=team_caseworker,
            access=access,
            ziel=brief,
            drucker=drucker,
            nochmals=True,
            grund="x",
        )
    assert refused.value.code == "druck_laeuft"


def test_hybrid_letters_are_not_printed_here(
    tenant: Mandant, admin_user: User, team_caseworker: User, akte: Akte
) -> None:
    hybrid = released_letter(tenant, akte, actor=team_caseworker)
    drucker = add_printer(tenant, admin_user, "ipp://127.0.0.1:9/ipp/print")
    access = Access.for_user(team_caseworker.pk, tenant.pk)
    with pytest.raises(Conflict):
        services.drucken(actor=team_caseworker, access=access, ziel=hybrid, drucker=drucker)


def test_ipp_request_and_answer_round_trip() -> None:
    body = ipp.encode(
        ipp.PRINT_JOB,
        7,
        [
            (ipp.OPERATION, [("attributes-charset", [(ipp.CHARSET, "utf-8")])]),
            (
                ipp.JOB,
                [("sides", [(ipp.KEYWORD, "two-sided-long-edge")]), ("copies", [(ipp.INTEGER, 2)])],
            ),
        ],
    )
    assert body[:8] == bytes([1, 1, 0, 2, 0, 0, 0, 7])
    answer = ipp.decode(body)
    assert answer.request_id == 7
    assert answer.first("sides") == "two-sided-long-edge" and answer.first("copies") == 2
    with pytest.raises(ipp.IppError):
        ipp.decode(body[:-5])
