"""The audit page of a Mandant on Citus: its events and the objects they name are read on
the Mandant's shards (privacy.references reads by Mandant and id), or from reference tables."""

from __future__ import annotations

from typing import Any

import pytest

from koffer.accounts.models import User
from tests import factories
from tests.conftest import signed_in
from tests.distributed.test_single_shard import _fanning_out, _report

pytestmark = pytest.mark.usefixtures("citus")

PAGE = "/datenschutz/protokoll/"


def test_audit_page_is_single_shard(
    tenant: Any, plan: Any, team: Any, team_caseworker: User, dpo: User
) -> None:
    from tests.factories import records as record_factories

    other = factories.mandant()  # with data, so a read by id alone has shards to visit
    factories.user(other)
    akte = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team, title="Meier")
    client = signed_in(dpo)
    client.get(PAGE)  # the session's first request
    responses = []
    spread = _fanning_out(lambda: responses.append(client.get(PAGE)))
    assert not spread, _report(spread)
    assert responses[0].status_code == 200
    assert akte.aktenzeichen in responses[0].content.decode()
