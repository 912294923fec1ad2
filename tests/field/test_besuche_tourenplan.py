"""The route sheet (Tourenplan): the day's visits in order as a tagged PDF/A that the
project's PDF/A check accepts, without the cancelled ones; its download audited as a read
of each Akte."""

from __future__ import annotations

import io
import os
from datetime import time
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.field.besuche import services
from koffer.pdf import pdfa
from koffer.records.models import Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.field.besuche_daten import akte_mit_person, besuch, heute, katalog_mit_formularen

URL = "/koffer/hausbesuche/tourenplan.pdf"


def _text(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    return "\n".join(doc[n].get_textpage().get_text_range() for n in range(len(doc)))


@pytest.mark.today("2026-12-07")
def test_the_route_sheet_lists_the_day_in_order_as_tagged_pdfa(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    admin_user: User,
) -> None:
    katalog_mit_formularen(tenant, admin_user)
    ad = factories.user(tenant, role="aussendienst", unit_=team, first_name="Frieda")
    namen = ("Spaet", "Frueh", "Abgesagt")
    akten = [
        akte_mit_person(
            caseworker=team_caseworker,
            plan=plan,
            unit=team,
            family_name=n,
            street=f"{n}weg 1",
            postal_code="12345",
        )
        for n in namen
    ]
    besuch(actor=team_caseworker, akte=akten[0], aussendienst=ad, uhrzeit=time(15, 0))
    besuch(
        actor=team_caseworker,
        akte=akten[1],
        aussendienst=ad,
        uhrzeit=time(8, 30),
        formulare=("notiz",),
        hinweise="Klingel defekt, bitte anrufen",
    )
    weg = besuch(actor=team_caseworker, akte=akten[2], aussendienst=ad)
    services.absagen(actor=team_caseworker, besuch=weg, grund="verzogen")

    response = signed_in(ad).get(URL)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="tourenplan-2026-12-07.pdf"' in response["Content-Disposition"]
    pdf = response.content
    text = _text(pdf)
    assert text.index("Erna Frueh") < text.index("Erna Spaet")
    assert "Abgesagt" not in text
    assert "Montag, 07.12.2026" in text and "2 Besuche" in text and "Seite 1 von 1" in text
    assert "Gesprächsnotiz" in text and "Klingel defekt, bitte anrufen" in text
    assert akten[1].aktenzeichen in text and "08:30 Uhr" in text
    report = pdfa.check(pdf)
    assert report.ok and (report.part, report.conformance) == (2, "A"), report.summary()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert "/StructTreeRoot" in doc.Root and str(doc.Root.Lang) == "de-DE"
        assert float(doc.pages[0].mediabox[2]) == pytest.approx(595.28, abs=0.5)  # A4
    reads = AuditEvent.objects.filter(action="read", reason="Tourenplan vom 07.12.2026")
    assert sorted(str(e.object_id) for e in reads) == sorted(str(a.pk) for a in akten[:2])


def test_a_long_day_runs_over_pages_with_page_x_of_y(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    ad = factories.user(tenant, role="aussendienst", unit_=team)
    for n in range(14):
        akte = akte_mit_person(
            caseworker=team_caseworker,
            plan=plan,
            unit=team,
            family_name=f"Person{n:02d}",
            street=f"Hauptstraße {n}",
            postal_code="12345",
        )
        besuch(
            actor=team_caseworker,
            akte=akte,
            aussendienst=ad,
            uhrzeit=time(8 + n // 2, 30 * (n % 2)),
            hinweise="Bitte laut klopfen, Hörgerät. " * 3,
        )
    pdf = signed_in(ad).get(URL).content
    if os.environ.get("KOFFER_TOURENPLAN_ABLAGE"):  # to look at it: pdftoppm -png -r 80
        Path(os.environ["KOFFER_TOURENPLAN_ABLAGE"]).write_bytes(pdf)
    doc = pypdfium2.PdfDocument(pdf)
    assert len(doc) >= 2
    assert f"Seite 2 von {len(doc)}" in doc[1].get_textpage().get_text_range()
    text = _text(pdf)
    positions = [text.index(f"Person{n:02d}") for n in range(14)]
    assert positions == sorted(positions)


def test_an_empty_day_still_prints_and_a_caseworker_has_no_route_sheet(
    tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    ad = factories.user(tenant, role="aussendienst", unit_=team)
    response = signed_in(ad).get(f"{URL}?datum={heute().isoformat()}")
    assert "keine Hausbesuche geplant" in _text(response.content)
    assert signed_in(team_caseworker).get(URL).status_code == 403
