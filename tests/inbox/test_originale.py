"""Paper originals (issue 15, item 5): the register with each original's day of
destruction (eight weeks after the batch's passed check, per kind configurable; none
for a failed quality check until released, none for excluded originals), destruction
lists made by the mail room, seen by their provider only, confirmed once (the same
confirmation again changes nothing, another is a 409), a withdrawn original never
counted as destroyed, the protocol PDF, and the starts of the mail room and the
provider. API answers are checked against the committed schema. Runs on SQLite and on
PostgreSQL (``python -m tests.pgserver -- pytest tests/inbox/test_originale.py``)."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.models import (
    Eingangsdokument,
    Problem,
    Stapel,
    Vernichtungseintrag,
    Vernichtungsliste,
)
from koffer.inbox.originale import selectors, services
from koffer.inbox.verarbeitung import services as pipeline
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.inbox import scans
from tests.inbox.conftest import Deliver, Provider
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db
State = Eingangsdokument.State
LISTEN = "/api/v1/posteingang/vernichtungslisten"


def _batch(
    deliver: Deliver,
    kinds: list[str],
    *,
    batch: str = "2026-11-25-0001",
    weeks_ago: int = 9,
    quality: bool = True,
    as_: Provider | None = None,
) -> tuple[Stapel, list[Eingangsdokument]]:
    """A batch checked ``weeks_ago`` weeks ago, one filed document per kind."""
    files = {"0001.pdf": scans.pdf(len(kinds))}
    checked_at = timezone.now() - timedelta(weeks=weeks_ago)
    note = scans.manifest(
        files,
        batch_id=batch,
        scan_datum=(timezone.localdate(checked_at) - timedelta(days=1)).isoformat(),
        pages={"0001.pdf": len(kinds)},
        quality="bestanden" if quality else "nicht_bestanden",
    )
    stapel = deliver(files, note, as_=as_).stapel
    Stapel.objects.unscoped().filter(pk=stapel.pk).update(
        state=Stapel.State.VERARBEITET,
        checked_at=checked_at,
        quality_passed=quality,
    )
    stapel.refresh_from_db()
    now = timezone.now()
    docs = [
        Eingangsdokument.objects.create(
            tenant_id=stapel.tenant_id,
            stapel=stapel,
            datei=stapel.dateien.get(),
            teil=i,
            pages=[i],
            state=State.ABGELEGT,
            kind=kind,
            unit=stapel.unit,
            created_at=now,
            updated_at=now,
        )
        for i, kind in enumerate(kinds)
    ]
    return stapel, docs


def _due(stapel: Stapel, weeks: int) -> Any:
    return timezone.localdate(stapel.checked_at) + timedelta(weeks=weeks)


def test_register_dates_per_kind_and_exclusions(
    deliver: Deliver, mail_room: User, tenant: Mandant
) -> None:
    pipeline.save_artregel(
        actor=mail_room,
        tenant_id=tenant.pk,
        kind="lohnabrechnung",
        vorgang_typ=None,
        frist_label="",
        frist_months=0,
        frist_days=0,
        aufbewahrung_wochen=4,
    )
    stapel, (lohn, brief, neu) = _batch(deliver, ["lohnabrechnung", "sonstiges", "sonstiges"])
    Eingangsdokument.objects.unscoped().filter(pk=neu.pk).update(state=State.NEU)
    services.keep_original(actor=mail_room, doc=brief, reason="Für das Gericht")
    rows = {r.dokument.pk: r for r in selectors.register(stapel) if r.dokument}
    assert rows[lohn.pk].due == _due(stapel, 4)
    assert rows[brief.pk].due == _due(stapel, 8)
    assert rows[brief.pk].status == "Original aufbewahren: Für das Gericht"
    assert rows[neu.pk].due is None and "noch verarbeitet" in rows[neu.pk].status

    client = signed_in(mail_room)
    page = client.get(reverse("inbox:originale", args=[stapel.pk])).content.decode()
    assert _due(stapel, 4).strftime("%d.%m.%Y") in page and "Für das Gericht" in page
    answer = client.get(f"/api/v1/posteingang/stapel/{stapel.pk}/originale")
    body = conforms(answer, "/api/v1/posteingang/stapel/{stapel_id}/originale", "get")
    assert [o["vernichtbar_ab"] for o in body["originale"]] == [
        _due(stapel, 4).isoformat(),
        _due(stapel, 8).isoformat(),
        None,
    ]
    assert [o["aufbewahren"] for o in body["originale"]] == [False, True, False]
    # Only the due, not excluded original goes on a list.
    made = services.create_lists(actor=mail_room, tenant=tenant, due=selectors.due(tenant, ~Q()))
    assert [e.dokument_id for e in selectors.eintraege(made[0])] == [lohn.pk]


def test_failed_quality_check_has_no_date_until_released(
    deliver: Deliver, mail_room: User, tenant: Mandant
) -> None:
    stapel, (_doc,) = _batch(deliver, ["sonstiges"], quality=False)
    (row,) = selectors.register(stapel)
    assert row.due is None and "Qualitätsprüfung" in row.status
    client = signed_in(mail_room)
    page = client.get(reverse("inbox:originale", args=[stapel.pk])).content.decode()
    assert "Qualitätsprüfung des Dienstleisters ist nicht bestanden" in page
    response = client.post(
        reverse("inbox:originale_freigeben", args=[stapel.pk]), {"grund": "Alle Seiten lesbar"}
    )
    assert response.status_code == 302
    (row,) = selectors.register(stapel)
    assert row.due == timezone.localdate() + timedelta(weeks=8)
    assert AuditEvent.objects.filter(action="inbox.originale.release").count() == 1


def test_mail_room_makes_lists_of_due_originals_once(
    deliver: Deliver, mail_room: User, tenant: Mandant
) -> None:
    _old, (due_doc,) = _batch(deliver, ["sonstiges"], batch="ALT-1")
    _batch(deliver, ["sonstiges"], batch="NEU-1", weeks_ago=2)
    client = signed_in(mail_room)
    page = client.get(reverse("inbox:vernichtungslisten")).content.decode()
    assert "1 Original ist zur Vernichtung fällig" in page
    response = client.post(reverse("inbox:vernichtungslisten"))
    assert response.status_code == 302
    (liste,) = Vernichtungsliste.objects.for_tenant(tenant)
    assert liste.number == 1 and liste.label == "VL-00001"
    assert [e.dokument_id for e in selectors.eintraege(liste)] == [due_doc.pk]
    again = client.post(LISTEN)
    assert again.status_code == 201 and conforms(again, LISTEN, "post") == []
    assert Vernichtungseintrag.objects.for_tenant(tenant).count() == 1
    assert AuditEvent.objects.filter(action="inbox.vernichtungsliste.create").count() == 1


def _listed(deliver: Deliver, mail_room: User, tenant: Mandant, kinds: list[str]) -> Any:
    stapel, docs = _batch(deliver, kinds)
    made = services.create_lists(actor=mail_room, tenant=tenant, due=selectors.due(tenant, ~Q()))
    return stapel, docs, made[0]


def test_provider_sees_only_its_lists_and_confirms_once(
    deliver: Deliver,
    mail_room: User,
    tenant: Mandant,
    provider: Provider,
    other_provider: Provider,
) -> None:
    _stapel, docs, liste = _listed(deliver, mail_room, tenant, ["sonstiges", "lohnabrechnung"])
    url = f"{LISTEN}/{liste.pk}"
    listed = provider.client.get(LISTEN)
    assert [i["nummer"] for i in conforms(listed, LISTEN, "get")["items"]] == ["VL-00001"]
    got = provider.client.get(url)
    body = conforms(got, "/api/v1/posteingang/vernichtungslisten/{liste_id}", "get")
    assert [e["seiten"] for e in body["eintraege"]] == [[1], [2]]
    assert body["state"] == "offen"
    assert conforms(other_provider.client.get(LISTEN), LISTEN, "get")["items"] == []
    assert other_provider.client.get(url).status_code == 404
    confirm = {
        "vernichtet_von": "Aktenvernichtung Muster GmbH",
        "vernichtet_am": timezone.now().isoformat(),
    }
    assert (
        other_provider.client.post(
            f"{url}/bestaetigung", confirm, content_type="application/json"
        ).status_code
        == 404
    )
    assert provider.client.get(f"{url}/protokoll").status_code == 409

    path = "/api/v1/posteingang/vernichtungslisten/{liste_id}/bestaetigung"
    first = provider.client.post(f"{url}/bestaetigung", confirm, content_type="application/json")
    done = conforms(first, path, "post")
    assert first.status_code == 200 and done["state"] == "bestaetigt" and done["protokoll"]
    assert [e["state"] for e in done["eintraege"]] == ["vernichtet", "vernichtet"]
    same = provider.client.post(f"{url}/bestaetigung", confirm, content_type="application/json")
    assert same.status_code == 200 and conforms(same, path, "post") == done
    other = dict(confirm, vernichtet_von="Jemand anderes")
    refused = provider.client.post(f"{url}/bestaetigung", other, content_type="application/json")
    assert refused.status_code == 409 and conforms(refused, path, "post")["code"] == (
        "already_confirmed"
    )
    assert AuditEvent.objects.filter(action="inbox.vernichtungsliste.confirm").count() == 1

    pdf = provider.client.get(f"{url}/protokoll")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdftotext(pdf.content)
    assert "VL-00001" in text and "Aktenvernichtung Muster GmbH" in text
    assert "2026-11-25-0001" in text and "0001.pdf, Seite 2" in text
    mail = signed_in(mail_room).get(reverse("inbox:vernichtungsprotokoll", args=[liste.pk]))
    assert mail.status_code == 200 and mail.content == pdf.content
    # Destroyed: marking the original now is refused.
    keep = signed_in(mail_room).post(
        f"/api/v1/posteingang/dokumente/{docs[0].pk}/original-aufbewahren",
        {"grund": "zu spät"},
        content_type="application/json",
    )
    assert keep.status_code == 409 and keep.json()["code"] == "original_destroyed"


def test_an_original_kept_after_the_list_is_withdrawn_and_never_destroyed(
    deliver: Deliver, mail_room: User, tenant: Mandant, provider: Provider
) -> None:
    stapel, (kept, gone, missing), liste = _listed(
        deliver, mail_room, tenant, ["sonstiges", "sonstiges", "sonstiges"]
    )
    keep = signed_in(mail_room).post(
        f"/api/v1/posteingang/dokumente/{kept.pk}/original-aufbewahren",
        {"grund": "Strafanzeige", "rechtliche_sperre": True},
        content_type="application/json",
    )
    body = conforms(keep, "/api/v1/posteingang/dokumente/{eingang_id}/original-aufbewahren", "post")
    assert keep.status_code == 200 and body["originale"][0]["rechtliche_sperre"] is True
    entries = {e.dokument_id: e for e in selectors.eintraege(liste)}
    assert entries[kept.pk].state == Vernichtungseintrag.State.ZURUECKGEZOGEN
    status = provider.client.get(f"/api/v1/posteingang/stapel/{stapel.pk}").json()
    assert [p["code"] for p in status["probleme"]] == ["vernichtung_zurueckgezogen"]
    assert "bitte nicht vernichten" in status["probleme"][0]["message"]

    done = services.confirm(
        actor=provider.user,
        liste=liste,
        destroyed_by="M. Muster",
        destroyed_at=timezone.now(),
        not_destroyed={entries[missing.pk].pk: "Original nicht auffindbar"},
    )
    states = {e.dokument_id: e.state for e in selectors.eintraege(done)}
    assert states == {
        kept.pk: "zurueckgezogen",
        gone.pk: "vernichtet",
        missing.pk: "nicht_vernichtet",
    }
    codes = set(
        Problem.objects.for_tenant(tenant).filter(stapel=stapel).values_list("code", flat=True)
    )
    assert codes == {"vernichtung_zurueckgezogen", "nicht_vernichtet"}
    text = _pdftotext(services.protocol_bytes(done))
    assert "zurückgezogen: nicht vernichten" in text and "auffindbar" in text


def test_provider_confirms_on_the_page(
    deliver: Deliver, mail_room: User, tenant: Mandant, poststelle: Organisationseinheit
) -> None:
    person = factories.user(tenant, role="scandienst", unit_=poststelle)
    own = Provider(person, "")
    _stapel, (_doc,) = _batch(deliver, ["sonstiges"], as_=own)
    (liste,) = services.create_lists(actor=None, tenant=tenant, due=selectors.due(tenant, ~Q()))
    client = signed_in(person)
    start = client.get("/").content.decode()
    assert "1 Vernichtungsliste wartet auf Ihre Bestätigung" in start
    page = client.get(reverse("inbox:vernichtungsliste", args=[liste.pk])).content.decode()
    assert "Vernichtung bestätigen" in page and "0001.pdf, Seite 1" in page
    moment = timezone.localtime()
    response = client.post(
        reverse("inbox:vernichtungsliste", args=[liste.pk]),
        {"vernichtet_von": "M. Muster", "vernichtet_am": moment.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    liste.refresh_from_db()
    assert liste.state == "bestaetigt" and liste.destroyed_by == "M. Muster"
    assert liste.confirmed_by == person and liste.protocol_sha256
    shown = client.get(reverse("inbox:vernichtungsliste", args=[liste.pk])).content.decode()
    assert "Vernichtungsprotokoll VL-00001 (PDF)" in shown
    assert "wartet auf Ihre Bestätigung" not in client.get("/").content.decode()
    # The mail room sees it but may not confirm.
    mail = signed_in(mail_room)
    assert mail.get(reverse("inbox:vernichtungsliste", args=[liste.pk])).status_code == 200


def test_mail_room_start_shows_arriving_overdue_and_stays_cheap(
    deliver: Deliver, mail_room: User, tenant: Mandant
) -> None:
    files = {"0001.pdf": scans.pdf(1)}
    deliver(files, scans.manifest(files, batch_id="EINGANG-1"))  # arriving, unchecked
    _batch(deliver, ["sonstiges"], batch="ALT-1")
    (liste,) = services.create_lists(actor=None, tenant=tenant, due=selectors.due(tenant, ~Q()))
    Vernichtungsliste.objects.unscoped().filter(pk=liste.pk).update(
        created_at=timezone.now() - timedelta(days=selectors.OVERDUE_DAYS + 1)
    )
    _old, (waiting,) = _batch(deliver, ["sonstiges"], batch="ALT-2", weeks_ago=2)
    Eingangsdokument.objects.unscoped().filter(pk=waiting.pk).update(
        state=State.ZU_PRUEFEN, created_at=timezone.now() - timedelta(days=10)
    )
    client = signed_in(mail_room)
    client.get("/")
    with CaptureQueriesContext(connection) as seen:
        start = client.get("/").content.decode()
    assert "1 Dokument wartet länger als 3 Arbeitstage" in start
    assert "1 Scan-Stapel im Eingang" in start
    assert "Vernichtungsliste seit über 14 Tagen unbestätigt" in start
    assert "Scan-Stapel EINGANG-1" in start and "VL-00001" in start
    inbox = [q["sql"] for q in seen.captured_queries if "inbox_" in q["sql"]]
    # One count of every kind, one list per kind that has any (arriving, overdue lists,
    # waiting documents; the overdue ones are among those).
    assert len(inbox) <= 4, inbox


def test_rules_page_shows_and_sets_the_weeks(mail_room: User, tenant: Mandant) -> None:
    admin = factories.user(tenant, role="mandant_admin")
    client = signed_in(admin)
    page = client.get(reverse("inbox:regeln")).content.decode()
    assert "Papieroriginale aufbewahren (Wochen)" in page and "8 Wochen (allgemein)" in page
    response = client.post(
        reverse("inbox:regeln"),
        {
            "teil": "art",
            "art-kind": "arbeitsunfaehigkeit",
            "art-vorgang_typ": "",
            "art-frist_label": "",
            "art-frist_months": "0",
            "art-frist_days": "0",
            "art-aufbewahrung_wochen": "12",
        },
    )
    assert response.status_code == 302
    assert "12 Wochen" in client.get(reverse("inbox:regeln")).content.decode()
    assert selectors.Aufbewahrung.of(tenant.pk).weeks("arbeitsunfaehigkeit") == 12


def _pdftotext(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=30
    )
    return done.stdout.decode()


def test_list_pages_and_endpoints_query_counts_do_not_grow(
    deliver: Deliver, mail_room: User, tenant: Mandant, provider: Provider
) -> None:
    def lists(first: int, last: int) -> Vernichtungsliste:
        for n in range(first, last):
            _batch(deliver, ["sonstiges", "lohnabrechnung"], batch=f"B-{n}")
            services.create_lists(actor=None, tenant=tenant, due=selectors.due(tenant, ~Q()))
        return Vernichtungsliste.objects.for_tenant(tenant).order_by("-number").first()

    def counts(liste: Vernichtungsliste) -> list[int]:
        found = []
        for client, url in [
            (mail, reverse("inbox:vernichtungslisten")),
            (mail, reverse("inbox:vernichtungsliste", args=[liste.pk])),
            (mail, reverse("inbox:originale", args=[liste.eintraege.first().stapel_id])),
            (provider.client, LISTEN),
            (provider.client, f"{LISTEN}/{liste.pk}"),
        ]:
            client.get(url)
            with CaptureQueriesContext(connection) as seen:
                assert client.get(url).status_code == 200
            found.append(len(seen.captured_queries))
        return found

    mail = signed_in(mail_room)
    few = counts(lists(0, 1))
    _batch(deliver, ["sonstiges"] * 5, batch="GROSS")
    more = counts(lists(1, 4))
    assert few == more


def test_a_stale_due_list_never_lists_an_original_twice(
    deliver: Deliver, mail_room: User, tenant: Mandant
) -> None:
    _batch(deliver, ["sonstiges"])
    stale = selectors.due(tenant, ~Q())
    services.create_lists(actor=mail_room, tenant=tenant, due=stale)
    with pytest.raises(services.Conflict) as refused:
        services.create_lists(actor=mail_room, tenant=tenant, due=stale)
    assert refused.value.code == "already_listed"
    assert Vernichtungseintrag.objects.for_tenant(tenant).count() == 1
    assert Vernichtungsliste.objects.for_tenant(tenant).count() == 1


def test_a_kept_original_is_released_again_and_goes_on_the_next_list(
    deliver: Deliver, mail_room: User, tenant: Mandant
) -> None:
    stapel, (doc,) = _batch(deliver, ["widerspruch"])
    client = signed_in(mail_room)
    page = reverse("inbox:original", args=[doc.pk])
    kept = client.post(
        page, {"aktion": "aufbewahren", "grund": "Widerspruchsverfahren", "rechtliche_sperre": ""}
    )
    assert kept.status_code == 302
    services.keep_original(actor=mail_room, doc=doc, reason="Strafanzeige", sperre=True)
    assert selectors.due(tenant, Q(pk=stapel.pk)) == []
    shown = client.get(page).content.decode()
    assert "Aufbewahrung beenden" in shown and "Rechtliche Sperre aufheben" in shown

    missing = client.post(page, {"aktion": "ende-aufbewahren", "ende-aufbewahren-grund": " "})
    assert missing.status_code == 400
    ended = client.post(
        page, {"aktion": "ende-aufbewahren", "ende-aufbewahren-grund": "Verfahren beendet"}
    )
    assert ended.status_code == 302
    assert selectors.due(tenant, Q(pk=stapel.pk)) == []  # the legal hold still holds

    path = "/api/v1/posteingang/dokumente/{eingang_id}/original-aufbewahrung-beenden"
    url = path.replace("{eingang_id}", str(doc.pk))
    lifted = client.post(
        url,
        {"grund": "Strafverfahren eingestellt", "rechtliche_sperre": True},
        content_type="application/json",
    )
    body = conforms(lifted, path, "post")
    assert lifted.status_code == 200 and body["originale"][0]["rechtliche_sperre"] is False
    again = client.post(
        url, {"grund": "noch einmal", "rechtliche_sperre": True}, content_type="application/json"
    )
    assert again.status_code == 409 and conforms(again, path, "post")["code"] == "not_kept"

    assert [f.dokument.pk for f in selectors.due(tenant, Q(pk=stapel.pk))] == [doc.pk]
    (liste,) = services.create_lists(
        actor=mail_room, tenant=tenant, due=selectors.due(tenant, Q(pk=stapel.pk))
    )
    assert [e.dokument_id for e in selectors.eintraege(liste)] == [doc.pk]
    lifted_events = AuditEvent.objects.filter(action="inbox.original.lift").order_by("at")
    assert [e.changes["ended"] for e in lifted_events] == [
        "Original aufbewahren",
        "Rechtliche Sperre",
    ]
