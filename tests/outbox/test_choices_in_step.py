"""The Postausgang names its statuses, channels and kinds in several places: the model's
choices, the database's check constraint, the API's literal types and the rank that keeps
a letter's status from going backwards. They must name the same values."""

from __future__ import annotations

from typing import Any, get_args

from django.db import models

from koffer.outbox.briefe import api as briefe_api
from koffer.outbox.models import Brief, Versandstapel, Vorlage
from koffer.outbox.versand import api as versand_api
from koffer.outbox.versand import services as versand
from koffer.outbox.vorlagen import api as vorlagen_api


def _constraint_values(model: type[models.Model], name: str) -> set[str]:
    for constraint in model._meta.constraints:
        if constraint.name == name:
            assert isinstance(constraint, models.CheckConstraint)
            condition: Any = constraint.condition
            ((_field, values),) = condition.children
            return set(values)
    raise AssertionError(f"no constraint {name}")


def test_letter_statuses_agree_everywhere() -> None:
    values = set(Brief.Status.values)
    assert set(get_args(briefe_api.BriefStatus)) == values
    assert _constraint_values(Brief, "outbox_brief_status_valid") == values
    assert set(Brief.RANG) == values
    assert set(get_args(versand_api.VersandMeldeStatus)) == set(versand.REPORTED)
    assert set(versand.REPORTED) <= values


def test_channels_and_kinds_agree_with_the_api() -> None:
    assert set(get_args(briefe_api.BriefKanal)) == set(Brief.Kanal.values)
    assert set(get_args(briefe_api.BriefEinschreiben)) == set(Brief.Einschreiben.values)
    assert set(get_args(versand_api.VersandstapelStatus)) == set(Versandstapel.Status.values)
    assert set(get_args(vorlagen_api.VorlageArt)) == set(Vorlage.Art.values)
    assert set(get_args(vorlagen_api.VorlageForm)) == set(Vorlage.Form.values)
