"""The device registry's pages („Mein Koffer“, „Akten in den Koffer nehmen“, „Koffer:
Geräte“, revoking) and the notice on the Akte's page and API detail."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine

from koffer.accounts.models import User
from koffer.demo import district
from koffer.field.geraete import selectors, services
from koffer.field.models import Geraet
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.conftest import BERLIN, signed_in

MORNING = datetime(2026, 12, 7, 9, 14, tzinfo=BERLIN)


def _text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined, no-any-return]


def test_registering_a_koffer_shows_its_code_once(aussendienst: User, tenant: Mandant) -> None:
    client = signed_in(aussendienst)
    page = client.get("/koffer/")
    assert page.status_code == 200
    assert "Koffer anmelden" in _text(page)
    response = client.post("/koffer/", {"name": "Laptop Nord"})
    assert response.status_code == 200
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", _text(response))
    assert code is not None
    assert "So koppeln Sie den Koffer" in _text(response)
    geraet, _ = services.koppeln(code=code.group(0))
    assert geraet.name == "Laptop Nord"
    listed = _text(client.get("/koffer/"))
    assert "Laptop Nord" in listed and "gekoppelt" in listed
    assert code.group(0) not in listed


def test_a_koffer_without_name_is_refused_with_the_error_summary(aussendienst: User) -> None:
    response = signed_in(aussendienst).post("/koffer/", {"name": "  "})
    assert response.status_code == 200
    assert "Bitte prüfen Sie Ihre Eingaben" in _text(response)
    assert not Geraet.objects.unscoped().exists()


def test_a_new_code_for_an_own_koffer(angemeldet: tuple[Geraet, str], aussendienst: User) -> None:
    geraet, old = angemeldet
    response = signed_in(aussendienst).post(f"/koffer/geraete/{geraet.pk}/kopplungscode/")
    assert response.status_code == 200
    assert old not in _text(response)
    geraet.refresh_from_db()
    assert geraet.kopplung_hash


def test_akten_by_aktenzeichen_into_the_koffer_and_back(
    gekoppelt: tuple[Geraet, str], aussendienst: User, akte: Akte
) -> None:
    geraet, _ = gekoppelt
    client = signed_in(aussendienst)
    form = client.get("/koffer/akten/")
    assert form.status_code == 200
    response = client.post(
        "/koffer/akten/", {"geraet": str(geraet.pk), "aktenzeichen": f" {akte.aktenzeichen}\n"}
    )
    assert response.status_code == 302, _text(response)
    row = selectors.ausleihe_der_akte(akte)
    assert row is not None and row.geraet_id == geraet.pk
    page = _text(client.get("/koffer/"))
    assert akte.aktenzeichen in page and "zurückgeben" in page
    back = client.post(f"/koffer/ausleihen/{row.pk}/zurueckgeben/")
    assert back.status_code == 302
    assert selectors.ausleihe_der_akte(akte) is None


def test_akten_found_by_search_into_the_koffer(
    gekoppelt: tuple[Geraet, str], aussendienst: User, akte: Akte
) -> None:
    geraet, _ = gekoppelt
    client = signed_in(aussendienst)
    found = client.get("/koffer/akten/", {"q": akte.aktenzeichen[:6]})
    assert akte.aktenzeichen in _text(found)
    assert f'value="{akte.pk}"' in _text(found)
    response = client.post(
        "/koffer/akten/", {"geraet": str(geraet.pk), "akten": [str(akte.pk)], "q": "LA"}
    )
    assert response.status_code == 302, _text(response)
    assert selectors.ausleihe_der_akte(akte) is not None


@pytest.mark.today("2026-12-07")
def test_an_akte_elsewhere_shows_the_conflict_on_the_page(
    gekoppelt: tuple[Geraet, str],
    aussendienst: User,
    anderer_koffer: Geraet,
    kollegin: User,
    akte: Akte,
) -> None:
    with time_machine.travel(MORNING, tick=False):
        services.ausleihen(actor=kollegin, geraet=anderer_koffer, akten=[akte])
    response = signed_in(aussendienst).post(
        "/koffer/akten/", {"geraet": str(gekoppelt[0].pk), "aktenzeichen": akte.aktenzeichen}
    )
    assert response.status_code == 200
    assert (
        f"Die Akte {akte.aktenzeichen} ist bereits im Koffer bei Karla Kollegin seit "
        "07.12.2026, 09:14." in _text(response)
    )


def test_an_unknown_aktenzeichen_is_named(
    gekoppelt: tuple[Geraet, str], aussendienst: User
) -> None:
    response = signed_in(aussendienst).post(
        "/koffer/akten/", {"geraet": str(gekoppelt[0].pk), "aktenzeichen": "LA-1999-99999"}
    )
    assert response.status_code == 200
    assert "LA-1999-99999" in _text(response)
    assert "Bitte prüfen Sie Ihre Eingaben" in _text(response)


def test_the_administration_sees_every_koffer_and_revokes_with_a_reason(
    gekoppelt: tuple[Geraet, str], anderer_koffer: Geraet, admin_user: User
) -> None:
    client = signed_in(admin_user)
    page = _text(client.get("/koffer/geraete/"))
    assert "Laptop 1" in page and "Laptop 2" in page and "Karla Kollegin" in page
    url = f"/koffer/geraete/{anderer_koffer.pk}/sperren/"
    assert client.get(url).status_code == 200
    empty = client.post(url, {"grund": ""})
    assert empty.status_code == 200 and "Bitte prüfen Sie Ihre Eingaben" in _text(empty)
    done = client.post(url, {"grund": "Laptop gestohlen"})
    assert done.status_code == 302
    anderer_koffer.refresh_from_db()
    assert anderer_koffer.gesperrt_am is not None
    assert anderer_koffer.sperrgrund == "Laptop gestohlen"
    assert "Laptop gestohlen" in _text(client.get("/koffer/geraete/"))
    assert "ist seit" in _text(client.get(url))  # the page of a revoked Koffer says so


def test_pages_answer_only_their_people(
    aussendienst: User, team_caseworker: User, gekoppelt: tuple[Geraet, str], kollegin: User
) -> None:
    assert signed_in(aussendienst).get("/koffer/geraete/").status_code == 403
    assert signed_in(team_caseworker).get("/koffer/").status_code == 403
    assert signed_in(team_caseworker).get("/koffer/akten/").status_code == 403
    # Another field worker's Koffer is missing to a colleague.
    url = f"/koffer/geraete/{gekoppelt[0].pk}/sperren/"
    assert signed_in(kollegin).get(url).status_code == 404
    assert (
        signed_in(kollegin).post(f"/koffer/geraete/{gekoppelt[0].pk}/kopplungscode/").status_code
        == 404
    )


@pytest.mark.today("2026-12-07")
def test_the_akte_page_and_api_show_who_has_it_in_the_koffer(
    gekoppelt: tuple[Geraet, str], aussendienst: User, team_caseworker: User, akte: Akte
) -> None:
    with time_machine.travel(MORNING, tick=False):
        services.ausleihen(actor=aussendienst, geraet=gekoppelt[0], akten=[akte])
    notice = "Im Koffer bei Frieda Feld seit 07.12.2026, 09:14 (bis 14.12.2026)"
    client = signed_in(team_caseworker)
    assert notice in _text(client.get(f"/akten/{akte.pk}/"))
    assert client.get(f"/api/v1/akten/{akte.pk}").json()["hinweise"] == [notice]


def test_the_akte_page_has_no_notice_when_it_is_home(team_caseworker: User, akte: Akte) -> None:
    client = signed_in(team_caseworker)
    assert "Im Koffer bei" not in _text(client.get(f"/akten/{akte.pk}/"))
    assert client.get(f"/api/v1/akten/{akte.pk}").json()["hinweise"] == []


def test_the_demo_district_has_a_field_worker() -> None:
    logins = dict(district.logins_by_mandant())["Stadt Beispielstadt"]
    [worker] = [login for login in logins if login.username == "aussendienst"]
    assert worker.roles == "Außendienst, Bürgerbüro"
