"""Full-text search and the Akte finder, through the public functions of
koffer.records.suche.services, with documents stored by the real ingest pipeline. Runs on SQLite
and PostgreSQL (``python -m tests.pgserver -- pytest tests/records/suche/test_search.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.records import services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import (
    AccessLevel,
    Akte,
    Aktenplaneinheit,
    AkteZugriff,
    Dokument,
    DokumentVersion,
    VorgangTyp,
)
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search
from koffer.records.suche.services import SearchFilters
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _blobs(tmp_path: Path) -> Iterator[None]:
    with override_settings(KOFFER_BLOB_DIR=tmp_path / "blobs", VAR_DIR=tmp_path / "var"):
        yield


def viewer(user: User, tenant: Mandant) -> Viewer:
    return Viewer(access=Access.for_user(user.pk, tenant.pk), user_id=user.pk)


def store(akte: Akte, actor: User, text: str, title: str = "", **meta: object) -> Dokument:
    """A text document in ``akte`` (unique bytes: the pipeline refuses duplicates)."""
    data = f"{text}\n\n(Nr. {next(_seq)})".encode()
    vorgang = meta.pop("vorgang", None)
    result = documents.ingest_file(
        actor=actor,
        akte=akte,
        file=naming.IncomingFile.from_bytes("schreiben.txt", data),
        meta=documents.DocumentMeta(title=title or "Schreiben", **meta),  # type: ignore[arg-type]
        vorgang=vorgang,  # type: ignore[arg-type]
    )
    assert result.ok, result.message
    assert result.dokument is not None
    return result.dokument


def found(v: Viewer, query: str, filters: SearchFilters | None = None) -> list[str]:
    return [h.title for h in search.search(v, query, filters).hits]


def open_akte(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    unit: Organisationseinheit,
    family: str,
    given: str = "Anna",
    **kwargs: object,
) -> Akte:
    return services.open_akte_for_person(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=unit,
        title=f"Leistungsakte {family}",
        family_name=family,
        given_names=given,
        **kwargs,  # type: ignore[arg-type]
    )


def keeper(tenant: Mandant) -> User:
    """Someone in a unit of their own, named on restricted Akten so that these have an
    owner (a restricted Akte always names someone) without admitting the test's viewers."""
    return factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant))


@pytest.fixture
def me(team_caseworker: User, tenant: Mandant) -> Viewer:
    return viewer(team_caseworker, tenant)


# --- Stemming and matching --------------------------------------------------------------------


def test_stemming_finds_inflected_forms(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Die Bescheide vom März wurden zugestellt.", "Post März")
    store(akte, team_caseworker, "Begründung des Widerspruchs folgt.", "Begründung")
    store(akte, team_caseworker, "Übernahme der Kosten für die Unterkunft.", "Kosten")

    assert found(me, "Bescheid") == ["Post März"]
    assert found(me, "bescheiden") == ["Post März"]
    assert found(me, "Widerspruch") == ["Begründung"]
    assert found(me, "ubernahme") == ["Kosten"]  # umlauts folded on both sides
    assert found(me, "Kosten Unterkunft") == ["Kosten"]
    assert found(me, "Kosten Heizung") == []  # all words must match


def test_phrase_prefix_and_exclusion(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Kosten der Unterkunft und Heizung werden übernommen.", "KdU")
    store(akte, team_caseworker, "Die Unterkunft verursacht hohe Kosten.", "Umgekehrt")
    store(akte, team_caseworker, "Widerspruchsbescheid vom 3. Mai, Klage wird erwogen.", "WB")

    assert found(me, '"Kosten der Unterkunft"') == ["KdU"]
    assert sorted(found(me, "Kosten Unterkunft")) == ["KdU", "Umgekehrt"]
    assert found(me, "Widerspr*") == ["WB"]  # a prefix finds the compound word
    assert found(me, "Unterkunft -Heizung") == ["Umgekehrt"]


def test_title_kind_and_sender_are_findable(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(
        akte, team_caseworker, "Inhalt ohne Stichwort.", "Mietbescheinigung", sender="Wohnbau GmbH"
    )
    assert found(me, "Mietbescheinigung") == ["Mietbescheinigung"]
    assert found(me, "Wohnbau") == ["Mietbescheinigung"]


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ('"', False),
        ("*", False),
        ("(", False),
        (")", False),
        ("-", False),
        (":", False),
        ("^", False),
        ('" * ( ) - : ^', False),
        ("NEAR(Bescheid Kosten)", True),
        ("Bescheid OR Kosten", True),
        ("Bescheid AND NOT", True),
        ('"Bescheid', True),
        ('Bescheid"', True),
        ("body_stems:Bescheid", False),  # no column filters: "body stems" is a phrase
        ("Bescheid*", True),
        ("{Bescheid}", True),
        ("(Bescheid) ^Kosten", True),
        ("Bescheid'); DROP TABLE records_search_entry; --", False),
        ("\x00Bescheid\x00", True),
        ("Bescheid " * 200, True),
        ("-Bescheid", False),
        ('-"Bescheid"', False),
        ("***Bescheid", True),
        ("a*", False),
        ("\u202eBescheid", True),
        ("💥 Bescheid", True),
        ("Bes*", True),
        ('B"e"scheid', False),
    ],
)
def test_hostile_queries_never_fail(
    query: str, finds: bool, akte: Akte, team_caseworker: User, me: Viewer
) -> None:
    store(akte, team_caseworker, "Der Bescheid über die Kosten.", "Bescheid")
    result = search.search(me, query)
    assert [h.title for h in result.hits] == (["Bescheid"] if finds else [])


@pytest.mark.parametrize("query", ['" * ( ) - : ^', "und der die", "-Klage", "   "])
def test_unsearchable_input_gets_a_german_message(query: str, me: Viewer) -> None:
    result = search.search(me, query)
    assert result.hits == []
    if query.strip():
        assert result.invalid
        assert result.message
        assert any(w in result.message for w in ("Suchbegriff", "Wort", "Wörter"))
    else:
        assert not result.searched and result.message is None


# --- Snippets ---------------------------------------------------------------------------------


def test_snippet_marks_matches_and_escapes_html(
    akte: Akte, team_caseworker: User, me: Viewer
) -> None:
    filler = " ".join(["Textbaustein"] * 60)
    store(
        akte,
        team_caseworker,
        f'{filler} <script>alert("x")</script> Die Bescheide & <b>Anlagen</b> {filler}',
        "Titel <i>kursiv</i> Bescheid",
    )
    [hit] = search.search(me, "Bescheid").hits
    assert "<mark>Bescheide</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "<b>" not in hit.snippet
    assert "&amp;" in hit.snippet and "&quot;x&quot;" in hit.snippet
    assert hit.snippet.count("<") == hit.snippet.count("<mark>") + hit.snippet.count("</mark>")
    assert "&lt;script&gt;" in hit.snippet  # snippets come from Python on both databases
    assert hit.snippet.startswith("… ")  # the window is around the match, from a word
    assert hit.title_html == "Titel &lt;i&gt;kursiv&lt;/i&gt; <mark>Bescheid</mark>"


def test_snippet_without_match_in_text_shows_the_beginning(
    akte: Akte, team_caseworker: User, me: Viewer
) -> None:
    store(akte, team_caseworker, "Erste Zeile des Schreibens.", "Bescheid ohne Treffer im Text")
    [hit] = search.search(me, "Bescheid").hits
    assert "Erste Zeile" in hit.snippet


# --- Permissions ------------------------------------------------------------------------------


def test_only_visible_akten_are_searched(
    tenant: Mandant,
    other_tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    akte: Akte,
    team_caseworker: User,
    me: Viewer,
) -> None:
    other_unit = open_akte(tenant, plan, other_team, "Fremd")
    restricted = open_akte(
        tenant,
        plan,
        team,
        "Geheim",
        access_level=AccessLevel.RESTRICTED,
        named_users=[keeper(tenant)],
    )
    store(akte, team_caseworker, "Geheimwort im eigenen Team.", "Eigenes")
    store(other_unit, team_caseworker, "Geheimwort im anderen Team.", "Anderes Team")
    store(restricted, team_caseworker, "Geheimwort in eingeschränkter Akte.", "Eingeschränkt")
    defaults_other = _plan(other_tenant)
    foreign = open_akte(
        other_tenant, defaults_other, factories.root_unit(other_tenant), "Fremdmandant"
    )
    foreign_actor = factories.user(other_tenant)
    store(foreign, foreign_actor, "Geheimwort beim anderen Mandanten.", "Anderer Mandant")

    assert found(me, "Geheimwort") == ["Eigenes"]
    assert search.find_akten(me, "Geheim") == []
    assert search.find_akten(me, "Fremd") == []

    AkteZugriff.objects.create(tenant=tenant, akte=restricted, user=team_caseworker)
    assert sorted(found(me, "Geheimwort")) == ["Eigenes", "Eingeschränkt"]
    assert [h.aktenzeichen for h in search.find_akten(me, "Geheim")] == [restricted.aktenzeichen]

    # A team lead at the top sees both teams, still not the restricted Akte nor the
    # other Mandant.
    lead = factories.user(tenant, role="teamleitung")
    assert sorted(found(viewer(lead, tenant), "Geheimwort")) == ["Anderes Team", "Eigenes"]
    # Someone with no E-Akte role sees nothing at all.
    admin = factories.user(tenant, role="mandant_admin")
    assert found(viewer(admin, tenant), "Geheimwort") == []


def test_viewer_with_only_named_akten(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    """No grant for the Akte's unit, only AkteZugriff: the filters drive the search."""
    restricted = open_akte(
        tenant,
        plan,
        team,
        "Benannt",
        access_level=AccessLevel.RESTRICTED,
        named_users=[keeper(tenant)],
    )
    store(restricted, team_caseworker, "Vermerk zur Anhörung.", "Vermerk")
    guest = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant, "Leer"))
    guest_view = Viewer(
        access=Access.for_user(guest.pk, tenant.pk),
        user_id=guest.pk,
    )
    assert found(guest_view, "Anhörung") == []
    AkteZugriff.objects.create(tenant=tenant, akte=restricted, user=guest)
    assert found(guest_view, "Anhörung") == ["Vermerk"]


# --- Filters ----------------------------------------------------------------------------------


@pytest.fixture
def filing(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> dict[str, object]:
    mueller = open_akte(
        tenant, plan, team, "Müller", "Anna", birth_date=date(1980, 3, 12), bg_nummer="neu"
    )
    schulz = open_akte(tenant, plan, team, "Schulz", "Bernd", birth_date=date(1975, 1, 2))
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="widerspruch")
    vorgang = services.create_vorgang(actor=team_caseworker, akte=mueller, typ=typ, title="W")
    a = store(
        mueller,
        team_caseworker,
        "Antrag auf Leistungen.",
        "Antrag Müller",
        kind="Antrag",
        received_on=date(2026, 1, 10),
    )
    b = store(
        mueller,
        team_caseworker,
        "Widerspruch gegen den Bescheid, Leistungen.",
        "Widerspruch Müller",
        kind="Widerspruch",
        received_on=date(2026, 3, 1),
        vorgang=vorgang,
    )
    c = store(
        schulz,
        team_caseworker,
        "Antrag auf Leistungen für Schulz.",
        "Antrag Schulz",
        kind="Antrag",
        received_on=date(2026, 2, 1),
    )
    return {"mueller": mueller, "schulz": schulz, "a": a, "b": b, "c": c}


def test_filters(filing: dict[str, object], me: Viewer, team_caseworker: User) -> None:
    mueller = filing["mueller"]
    assert isinstance(mueller, Akte)
    assert mueller.bg is not None
    titles = sorted(found(me, "Leistungen"))
    assert titles == ["Antrag Müller", "Antrag Schulz", "Widerspruch Müller"]

    def only(**kwargs: object) -> list[str]:
        return sorted(found(me, "Leistungen", SearchFilters(**kwargs)))  # type: ignore[arg-type]

    both_mueller = ["Antrag Müller", "Widerspruch Müller"]
    assert only(aktenzeichen=mueller.aktenzeichen) == both_mueller
    assert only(aktenzeichen=mueller.aktenzeichen.lower()[:-1]) != []  # prefix, any case
    assert only(aktenzeichen="XX-") == []
    assert only(person="müller") == both_mueller
    assert only(person="MÜL") == both_mueller
    assert only(person="Anna Müller") == both_mueller
    assert only(person="Müller, Anna") == both_mueller
    assert only(person="Müller, Bernd") == []
    assert only(birth_date=date(1975, 1, 2)) == ["Antrag Schulz"]
    assert only(bg_nummer=mueller.bg.bg_nummer) == both_mueller
    assert only(kind="Antrag") == ["Antrag Müller", "Antrag Schulz"]
    assert only(received_from=date(2026, 1, 15)) == ["Antrag Schulz", "Widerspruch Müller"]
    assert only(received_to=date(2026, 1, 31)) == ["Antrag Müller"]
    assert only(vorgang_typ="widerspruch") == ["Widerspruch Müller"]
    today = timezone.localdate()
    assert len(only(created_from=today, created_to=today)) == 3
    assert only(created_from=today + timedelta(days=1)) == []
    assert only(akte_status="closed") == []
    # filters without a query: the filtered documents, newest first
    assert [h.title for h in search.search(me, "", SearchFilters(kind="Antrag")).hits] == [
        "Antrag Schulz",
        "Antrag Müller",
    ]


def test_cancelled_documents_stay_findable_and_marked(
    filing: dict[str, object], me: Viewer, team_caseworker: User
) -> None:
    dokument = filing["a"]
    assert isinstance(dokument, Dokument)
    documents.cancel_dokument(actor=team_caseworker, dokument=dokument, reason="Falsche Akte")
    hits = {h.title: h for h in search.search(me, "Antrag").hits}
    assert hits["Antrag Müller"].cancelled
    assert hits["Antrag Müller"].status_label == "storniert"
    assert not hits["Antrag Schulz"].cancelled
    assert found(me, "Antrag", SearchFilters(status="active")) == ["Antrag Schulz"]


# --- Keeping the index current ----------------------------------------------------------------


def test_new_version_replaces_the_old_text(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    dokument = store(akte, team_caseworker, "Erster Entwurf mit Tippfehler Bescheidd.", "Entwurf")
    assert found(me, "Bescheidd") == ["Entwurf"]
    result = documents.add_version(
        actor=team_caseworker,
        dokument=dokument,
        file=naming.IncomingFile.from_bytes("v2.txt", b"Korrigierte Fassung mit Bescheid."),
    )
    assert result.ok, result.message
    assert found(me, "Bescheidd") == []
    assert found(me, "Korrigiert") == ["Entwurf"]
    assert search.index_status(akte.tenant_id) == {"documents": 1, "indexed": 1}


def test_an_older_version_never_replaces_the_current_one(
    akte: Akte, team_caseworker: User, me: Viewer
) -> None:
    dokument = store(akte, team_caseworker, "Alte Fassung Rentenbescheid.", "Rente")
    old = dokument.current_version
    assert old is not None
    documents.add_version(
        actor=team_caseworker,
        dokument=dokument,
        file=naming.IncomingFile.from_bytes("v2.txt", b"Neue Fassung Wohngeldbescheid."),
    )
    old.refresh_from_db()
    search.index_version(old)  # e.g. a late OCR result of the old version
    assert found(me, "Rentenbescheid") == []
    assert found(me, "Wohngeldbescheid") == ["Rente"]


def test_metadata_change_is_reindexed(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    dokument = store(akte, team_caseworker, "Text.", "Alter Titel")
    documents.change_metadata(
        actor=team_caseworker,
        dokument=dokument,
        meta=documents.DocumentMeta(title="Heizkostenabrechnung", kind="Nachweis"),
    )
    assert found(me, "Heizkostenabrechnung") == ["Heizkostenabrechnung"]
    assert found(me, "Titel") == []


def test_deleting_a_document_removes_it_from_the_index(
    akte: Akte, team_caseworker: User, me: Viewer
) -> None:
    """Retention deletes rows; the index follows through the database (FK or trigger)."""
    dokument = store(akte, team_caseworker, "Zu löschender Aufhebungsbescheid.", "Weg")
    Dokument.objects.for_tenant(akte.tenant_id).filter(pk=dokument.pk).update(current_version=None)
    DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument=dokument).delete()
    Dokument.objects.for_tenant(akte.tenant_id).filter(pk=dokument.pk).delete()
    assert found(me, "Aufhebungsbescheid") == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_search_entry")
        assert cursor.fetchone()[0] == 0
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM records_search_fts WHERE records_search_fts MATCH 'aufhebungsbescheid'"
            )
            assert cursor.fetchone()[0] == 0


def test_reindex_rebuilds_everything(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Eingliederungsvereinbarung.", "EGV")
    search.clear(akte.tenant_id)
    assert found(me, "Eingliederungsvereinbarung") == []
    assert search.reindex(akte.tenant_id) == 1
    assert found(me, "Eingliederungsvereinbarung") == ["EGV"]


# --- Ordering and counting --------------------------------------------------------------------


def test_relevance_and_count(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Einmal Mahnung, sonst nichts.", "Nebenbei")
    store(akte, team_caseworker, "Mahnung Mahnung Mahnung.", "Mahnung")
    result = search.search(me, "Mahnung")
    assert result.order == "relevanz"
    assert result.total == 2 and not result.more
    assert [h.title for h in result.hits] == ["Mahnung", "Nebenbei"]  # title weighs most
    assert all(h.score is not None for h in result.hits)


def test_broad_queries_come_newest_first_and_page(
    akte: Akte, team_caseworker: User, me: Viewer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "RANK_MAX", 0)  # never rank
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    for i in range(5):
        store(akte, team_caseworker, f"Meldung Nummer {i}.", f"Meldung {i}")
    first = search.search(me, "Meldung", limit=2)
    assert first.order == "neueste"
    assert [h.title for h in first.hits] == ["Meldung 4", "Meldung 3"]
    assert first.total == 3 and first.more and first.has_next
    second = search.search(me, "Meldung", limit=2, offset=2)
    assert [h.title for h in second.hits] == ["Meldung 2"]


# --- Akte finder ------------------------------------------------------------------------------


def test_find_akten_by_aktenzeichen_bg_and_name(filing: dict[str, object], me: Viewer) -> None:
    mueller = filing["mueller"]
    schulz = filing["schulz"]
    assert isinstance(mueller, Akte) and isinstance(schulz, Akte)
    assert mueller.bg is not None

    by_az = search.find_akten(me, mueller.aktenzeichen[:6].lower())
    assert {h.aktenzeichen for h in by_az} == {mueller.aktenzeichen, schulz.aktenzeichen}
    assert {h.matched for h in by_az} == {"Aktenzeichen"}
    assert [h.akte_id for h in search.find_akten(me, mueller.aktenzeichen)] == [mueller.pk]

    with CaptureQueriesContext(connection) as captured:
        [by_bg] = search.find_akten(me, mueller.bg.bg_nummer.lower())
    assert by_bg.akte_id == mueller.pk and by_bg.matched == "BG-Nummer"
    # A BG-Nummer found: no walk through every visible Akte for a part of an Aktenzeichen.
    part = f"%{mueller.bg.bg_nummer.lower()}%"
    assert not [q for q in captured.captured_queries if part in q["sql"].lower()]

    for typed in ("mül", "MÜLLER", "Anna Müller", "Müller, Anna", "müller anna"):
        [hit] = search.find_akten(me, typed)
        assert hit.akte_id == mueller.pk, typed
        assert hit.matched == "Name"
        assert "12.03.1980" in hit.detail
    assert search.find_akten(me, "m") == []  # too short
    assert search.find_akten(me, "Müller, Bernd") == []
    assert len(search.find_akten(me, "S", limit=10)) == 0


def test_finder_limit(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, me: Viewer
) -> None:
    for i in range(12):
        open_akte(tenant, plan, team, f"Schmidt{i:02d}")
    hits = search.find_akten(me, "schmidt")
    assert len(hits) == 10
    assert [h.detail.split(",")[0] for h in hits][:2] == ["Schmidt00", "Schmidt01"]


def test_form_choices(filing: dict[str, object], tenant: Mandant) -> None:
    assert search.document_kinds(tenant.pk) == ["Antrag", "Widerspruch"]
    codes = dict(search.vorgang_types(tenant.pk))
    assert codes["widerspruch"] == "Widerspruch"


def _plan(tenant: Mandant) -> Aktenplaneinheit:
    from koffer.records import defaults

    defaults.install(actor=None, tenant=tenant)
    return services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="77", title="Fremd", module="sgb2"
    )


def test_management_command(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    from io import StringIO

    from django.core.management import call_command

    store(akte, team_caseworker, "Betriebskostenabrechnung.", "BK")
    search.clear(akte.tenant_id)
    out = StringIO()
    call_command("search_index", stdout=out)
    assert "0 von 1" in out.getvalue() and "--rebuild" in out.getvalue()
    out = StringIO()
    call_command("search_index", "--rebuild", "--optimize", stdout=out)
    assert "1 Dokumente indexiert" in out.getvalue() and "1 von 1" in out.getvalue()
    assert found(me, "Betriebskostenabrechnung") == ["BK"]
