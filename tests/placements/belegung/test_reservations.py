"""Holds, confirmations and Belegungen: a place is never given twice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.reasons import ReasonError
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Platz,
    Platzgesuch,
    Region,
    Reservierung,
)
from koffer.placements.search import free_counts
from koffer.tenancy.models import Mandant
from tests import factories

# Data built from today's date: make test-dates runs these on several days.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _gesuch(user: User, tenant: Mandant, form: Betreuungsform, region: Region) -> Platzgesuch:
    return gesuch_services.create_gesuch(
        actor=user,
        tenant=tenant,
        betreuungsform=form,
        alter=12,
        geschlecht="w",
        ab_datum=timezone.localdate(),
        region=region,
    )


@pytest.fixture
def places(angebot: Angebot, provider_user: User) -> list[Platz]:
    return angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=2,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )


def _free(angebot: Angebot) -> int:
    return free_counts(angebot.betreuungsform_id, timezone.now()).get(angebot.pk, (0, None))[0]


def test_hold_confirm_turns_into_belegung_and_withdraws_other_requests(
    angebot, places, provider_user, jugendamt, jugendamt_user, heim, region, traeger
):
    gesuch = _gesuch(jugendamt_user, jugendamt, heim, region)
    assert gesuch.pseudonym.startswith("G-")
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuch, angebot=angebot)
    assert hold.status == Reservierung.Status.OFFEN
    assert hold.jugendamt_id == jugendamt.pk and hold.tenant_id == traeger.pk
    assert (hold.expires_at - timezone.now()) > timedelta(hours=47)
    assert _free(angebot) == 1

    # A second provider's place requested for the same child.
    other = angebot_services.add_plaetze(
        actor=provider_user, angebot=angebot, count=1, valid_from=date(2026, 1, 1)
    )
    assert other  # not offered (no frei_ab): cannot be reserved
    second_angebot = angebot_services.create_angebot(
        actor=provider_user, einrichtung=angebot.einrichtung, betreuungsform=heim, title="Zweite"
    )
    angebot_services.add_plaetze(
        actor=provider_user,
        angebot=second_angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    hold2 = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuch, angebot=second_angebot)

    belegung = belegung_services.confirm(
        actor=provider_user, tenant=traeger, reservierung_id=hold.pk, beginn=timezone.localdate()
    )
    assert belegung.gesuch_id == gesuch.pk and belegung.alter_bei_beginn == 12
    hold2.refresh_from_db()
    assert hold2.status == Reservierung.Status.ZURUECKGEZOGEN
    assert "automatisch" in hold2.reason
    gesuch.refresh_from_db()
    assert gesuch.status == Platzgesuch.Status.VERMITTELT
    # The occupied place left the exchange; the second one is free again.
    assert _free(angebot) == 1
    assert _free(second_angebot) == 1
    # Audited in both chains.
    assert AuditEvent.objects.filter(
        tenant_id=jugendamt.pk, action="placements.belegung.create"
    ).exists()
    assert AuditEvent.objects.filter(
        tenant_id=traeger.pk, action="placements.belegung.create"
    ).exists()


def test_no_free_place_is_vergeben(angebot, places, jugendamt, jugendamt_user, heim, region):
    for _ in places:
        belegung_services.reserve(
            actor=jugendamt_user,
            gesuch=_gesuch(jugendamt_user, jugendamt, heim, region),
            angebot=angebot,
        )
    with pytest.raises(Conflict) as err:
        belegung_services.reserve(
            actor=jugendamt_user,
            gesuch=_gesuch(jugendamt_user, jugendamt, heim, region),
            angebot=angebot,
        )
    assert err.value.code == "vergeben"
    assert "vergeben" in err.value.message


def test_expired_hold_frees_the_place_by_time_alone(
    angebot, places, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    now = timezone.now()
    old = now - timedelta(hours=49)
    g1 = _gesuch(jugendamt_user, jugendamt, heim, region)
    first = belegung_services.reserve(actor=jugendamt_user, gesuch=g1, platz=places[0], now=old)
    # Expired by the time filter: the place counts as free without any job having run.
    assert _free(angebot) == 2
    with pytest.raises(Conflict) as err:
        belegung_services.confirm(
            actor=provider_user,
            tenant=traeger,
            reservierung_id=first.pk,
            beginn=timezone.localdate(),
        )
    assert err.value.code == "expired"
    g2 = _gesuch(jugendamt_user, jugendamt, heim, region)
    second = belegung_services.reserve(actor=jugendamt_user, gesuch=g2, platz=places[0])
    assert second.platz_id == places[0].pk
    first.refresh_from_db()
    assert first.status == Reservierung.Status.ABGELAUFEN


def test_closing_expired_holds_is_audited_once_per_chain_and_batch(
    angebot, places, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    """Expiry is a write, so it is audited: one event per Mandant concerned for the whole
    batch (naming every hold), written by the System, not one per hold."""
    old = timezone.now() - timedelta(hours=49)
    other_amt = factories.mandant("Stadt Zwei", kind=Mandant.Kind.GEMEINDE)
    other_user = factories.user(other_amt, role="sachbearbeitung")
    expired = [
        belegung_services.reserve(
            actor=jugendamt_user,
            gesuch=_gesuch(jugendamt_user, jugendamt, heim, region),
            platz=places[0],
            now=old,
        ),
        belegung_services.reserve(
            actor=other_user,
            gesuch=_gesuch(other_user, other_amt, heim, region),
            platz=places[1],
            now=old,
        ),
    ]
    before = AuditEvent.objects.filter(action="placements.reservierung.expire").count()
    assert before == 0
    belegung_services.reserve(
        actor=jugendamt_user,
        gesuch=_gesuch(jugendamt_user, jugendamt, heim, region),
        angebot=angebot,
    )
    provider_events = AuditEvent.objects.filter(
        tenant_id=traeger.pk, action="placements.reservierung.expire"
    )
    [event] = provider_events
    assert event.actor_id is None and event.actor_label == "System"
    assert sorted(event.changes["reservierungen"]) == sorted(str(h.pk) for h in expired)
    assert event.changes["status"] == {"old": "offen", "new": "abgelaufen"}
    # Each youth office's chain names its own hold only.
    [mine] = AuditEvent.objects.filter(
        tenant_id=jugendamt.pk, action="placements.reservierung.expire"
    )
    assert mine.changes["reservierungen"] == [str(expired[0].pk)]
    [theirs] = AuditEvent.objects.filter(
        tenant_id=other_amt.pk, action="placements.reservierung.expire"
    )
    assert theirs.changes["reservierungen"] == [str(expired[1].pk)]
    # Nothing left to close: the next reserve writes no further expiry event.
    belegung_services.reserve(
        actor=jugendamt_user,
        gesuch=_gesuch(jugendamt_user, jugendamt, heim, region),
        angebot=angebot,
    )
    assert AuditEvent.objects.filter(action="placements.reservierung.expire").count() == 3


def test_confirm_twice_and_confirm_after_decline(
    angebot, places, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    g = _gesuch(jugendamt_user, jugendamt, heim, region)
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=g, angebot=angebot)
    belegung_services.confirm(
        actor=provider_user, tenant=traeger, reservierung_id=hold.pk, beginn=timezone.localdate()
    )
    with pytest.raises(Conflict) as err:
        belegung_services.confirm(
            actor=provider_user,
            tenant=traeger,
            reservierung_id=hold.pk,
            beginn=timezone.localdate(),
        )
    assert err.value.code == "already_decided"
    with pytest.raises(Conflict):
        belegung_services.decline(
            actor=provider_user, tenant=traeger, reservierung_id=hold.pk, reason="zu spät"
        )

    g2 = _gesuch(jugendamt_user, jugendamt, heim, region)
    hold2 = belegung_services.reserve(actor=jugendamt_user, gesuch=g2, angebot=angebot)
    with pytest.raises(ReasonError) as no_reason:
        belegung_services.decline(
            actor=provider_user, tenant=traeger, reservierung_id=hold2.pk, reason=" "
        )
    assert no_reason.value.code == "reason_required"
    belegung_services.decline(
        actor=provider_user, tenant=traeger, reservierung_id=hold2.pk, reason="Gruppe passt nicht"
    )
    with pytest.raises(Conflict):
        belegung_services.confirm(
            actor=provider_user,
            tenant=traeger,
            reservierung_id=hold2.pk,
            beginn=timezone.localdate(),
        )
    assert Belegung.objects.for_tenant(traeger).count() == 1


def test_other_parties_cannot_decide(
    angebot, places, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    g = _gesuch(jugendamt_user, jugendamt, heim, region)
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=g, angebot=angebot)
    # The youth office cannot confirm its own request; a stranger sees nothing.
    with pytest.raises(NotFound):
        belegung_services.confirm(
            actor=jugendamt_user,
            tenant=jugendamt,
            reservierung_id=hold.pk,
            beginn=timezone.localdate(),
        )
    from tests import factories

    stranger = factories.mandant("Fremder Träger", kind=Mandant.Kind.TRAEGER)
    with pytest.raises(NotFound):
        belegung_services.decline(
            actor=provider_user, tenant=stranger, reservierung_id=hold.pk, reason="x"
        )
    with pytest.raises(NotFound):
        belegung_services.withdraw(
            actor=provider_user, tenant=traeger, reservierung_id=hold.pk, reason="x"
        )
    belegung_services.withdraw(
        actor=jugendamt_user, tenant=jugendamt, reservierung_id=hold.pk, reason="anderweitig"
    )
    assert _free(angebot) == 2


def test_end_belegung_reoffers_and_guards_overlap(
    angebot, places, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    g = _gesuch(jugendamt_user, jugendamt, heim, region)
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=g, platz=places[0])
    start = timezone.localdate()
    belegung = belegung_services.confirm(
        actor=provider_user, tenant=traeger, reservierung_id=hold.pk, beginn=start
    )
    with pytest.raises(Conflict) as occupied:
        angebot_services.set_frei(
            actor=provider_user, platz=places[0], frei_ab=start + timedelta(days=3)
        )
    assert occupied.value.code == "occupied"
    with pytest.raises(PlacementsError):
        belegung_services.end_belegung(
            actor=provider_user,
            tenant=traeger,
            belegung=belegung,
            ende=start - timedelta(days=1),
            grund="planmaessig",
        )
    with pytest.raises(PlacementsError):
        belegung_services.end_belegung(
            actor=provider_user, tenant=traeger, belegung=belegung, ende=start, grund=""
        )
    ended = belegung_services.end_belegung(
        actor=provider_user,
        tenant=traeger,
        belegung=belegung,
        ende=start + timedelta(days=10),
        grund="rueckfuehrung",
    )
    assert ended.ende_grund == "rueckfuehrung"
    places[0].refresh_from_db()
    assert places[0].frei_ab == start + timedelta(days=11)
    with pytest.raises(Conflict):
        belegung_services.end_belegung(
            actor=provider_user,
            tenant=traeger,
            belegung=belegung,
            ende=start + timedelta(days=12),
            grund="abbruch",
        )


def test_bad_input_on_facilities_and_rates(traeger, provider_user, catalogue, heim, angebot):
    with pytest.raises(PlacementsError) as age:
        angebot_services.create_einrichtung(
            actor=provider_user,
            tenant=traeger,
            fachbereich=catalogue,
            formen=[heim],
            name="X",
            street="s",
            postcode="1",
            city="c",
            lat=50,
            lon=8,
            age_min=18,
            age_max=6,
        )
    assert age.value.code == "age_range"
    with pytest.raises(Conflict) as overlap:
        angebot_services.set_entgelt(
            actor=provider_user,
            angebot=angebot,
            valid_from=date(2026, 6, 1),
            valid_to=None,
            leistungsentgelt=Decimal("100"),
        )
    assert overlap.value.code == "rate_overlap"
    pflege = Betreuungsform.objects.get(code="vollstationaer")
    with pytest.raises(PlacementsError) as wrong_form:
        angebot_services.create_angebot(
            actor=provider_user, einrichtung=angebot.einrichtung, betreuungsform=pflege, title=""
        )
    assert wrong_form.value.code == "form_not_offered"
