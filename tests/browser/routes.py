"""The page routes of the URL configuration: every URL pattern a browser can GET as an HTML
page. The browser crawl must reach each of them, so a page added later is checked (axe,
console) without touching the tests; what is not a page is listed in NOT_PAGES with why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

FILE, FRAGMENT, STREAM, PROBE, SESSION = "file", "fragment", "stream", "probe", "session"
# Kinds the crawler may request (checking only the status); the others it never requests.
REQUESTED_KINDS = {FILE, FRAGMENT}

# Routes a GET reaches that are not an HTML page of their own: route -> (kind, why).
NOT_PAGES: dict[str, tuple[str, str]] = {
    # Files: a download, not a document to audit.
    "aktenplan/export.csv": (FILE, "CSV-Export des Aktenplans"),
    "datenschutz/protokoll/export.csv": (FILE, "CSV-Export des Protokolls"),
    "dokumente/<uuid:dokument_id>/herunterladen/": (FILE, "Original eines Dokuments"),
    "dokumente/<uuid:dokument_id>/versionen/<int:number>/seiten/<int:page>/<int:width>/": (
        FILE,
        "Seitenbild (PNG) im Dokumentbetrachter",
    ),
    "auszuege/<uuid:auszug_id>/pdf/": (FILE, "PDF des Aktenauszugs"),
    "einsicht/<str:token>/pdf/": (FILE, "PDF der Akteneinsicht"),
    "einsicht/<str:token>/seiten/<int:page>/": (FILE, "Seitenbild (PNG) der Akteneinsicht"),
    "posteingang/zuordnung/<uuid:eingang_id>/seite/<int:page>.png": (
        FILE,
        "Seitenbild (PNG) eines Dokuments in der Zuordnung",
    ),
    "posteingang/migration/<uuid:lauf_id>/abgelehnt.csv": (
        FILE,
        "abgelehnte Zeilen einer Migration (CSV)",
    ),
    "posteingang/vernichtungslisten/<uuid:liste_id>/protokoll.pdf": (
        FILE,
        "Vernichtungsprotokoll (PDF)",
    ),
    "plaetze/statistik/export.csv": (FILE, "CSV-Export der Statistik"),
    "plaetze/statistik/export.xlsx": (FILE, "XLSX-Export der Statistik"),
    "plaetze/rechnungen/<uuid:rechnung_id>/xml/": (FILE, "XRechnung (XML)"),
    "plaetze/rechnungen/<uuid:rechnung_id>/pdf/": (FILE, "Rechnung als PDF"),
    "postausgang/briefe/<uuid:brief_id>/pdf/": (FILE, "PDF eines Briefs (wie abgelegt)"),
    "postausgang/selbst-drucken/sammel.pdf": (FILE, "Sammel-PDF der selbst zu druckenden Briefe"),
    "akten/<uuid:akte_id>/formulare/<uuid:formular_id>/leer.pdf": (
        FILE,
        "leeres Formular zum Ausdrucken (PDF)",
    ),
    "koffer/hausbesuche/tourenplan.pdf": (FILE, "Tourenplan eines Tages (PDF)"),
    "formulare/katalog/export.json": (FILE, "JSON-Export des Formularkatalogs"),
    "formulare/katalog/schema.json": (FILE, "JSON Schema der Formulardefinition"),
    "formulare/katalog/<slug:schluessel>/export.json": (FILE, "JSON-Export eines Formulars"),
    "formulare/katalog/<slug:schluessel>/versionen/<int:nummer>/leer.pdf": (
        FILE,
        "leeres Formular (PDF) einer Version",
    ),
    "favicon.ico": (FILE, "Symbol der Seiten (leitet auf die statische SVG-Datei um)"),
    # htmx fragments: polled or swapped into a page that the crawl checks as a whole.
    "auftraege/<uuid:job_id>/fortschritt/": (FRAGMENT, "Fortschrittsanzeige eines Auftrags"),
    "auszuege/<uuid:auszug_id>/stand/": (FRAGMENT, "Fortschrittsanzeige eines Aktenauszugs"),
    "suche/akten/": (FRAGMENT, "Trefferliste des Aktenfinders"),
    "posteingang/migration/<uuid:lauf_id>/fortschritt/": (
        FRAGMENT,
        "Fortschrittsanzeige eines Importlaufs der Migration",
    ),
    "akten/<uuid:akte_id>/dokumente/liste/": (FRAGMENT, "Dokumentenliste nach dem Hochladen"),
    "plaetze/gesuche/<uuid:gesuch_id>/treffer/": (FRAGMENT, "Trefferliste eines Gesuchs"),
    "koffer/experte/<uuid:sitzung_id>/feld/<slug:feld>/": (
        FRAGMENT,
        "ein Feld einer Expertensitzung, nach einer Änderung neu geholt",
    ),
    # A server-sent event stream never ends: a page load would wait forever.
    "plaetze/live/": (STREAM, "SSE-Strom der freien Plätze"),
    "koffer/experte/<uuid:sitzung_id>/live/": (STREAM, "SSE-Strom einer Expertensitzung"),
    "portal/<slug:mandant>/antraege/<uuid:antrag_id>/eingangsbestaetigung.pdf": (
        FILE,
        "Eingangsbestätigung eines Online-Antrags (PDF)",
    ),
    "portal/<slug:mandant>/antraege/<uuid:antrag_id>/anlagen/<str:blob>/": (
        FILE,
        "Anlage eines Online-Antrags, erneut heruntergeladen",
    ),
    "portal/<slug:mandant>/unterlagen/dateien/<uuid:datei_id>/": (
        FILE,
        "nachgereichte Datei zu angeforderten Unterlagen",
    ),
    # Parts of the Koffer's own pages (Koffer mode only), loaded by htmx.
    "unterwegs/auftrag/": (FRAGMENT, "Fortschritt des laufenden Abholens/Abgleichs"),
    "unterwegs/buero/": (PROBE, "Erreichbarkeit des Büros (fragt das Büro)"),
    "unterwegs/einrichten/stand/": (FRAGMENT, "Fortschritt der ersten Abholung"),
    "healthz": (PROBE, "Prozess-Probe (JSON)"),
    "readyz": (PROBE, "Bereitschafts-Probe (JSON)"),
    "abmelden/": (SESSION, "beendet die Sitzung des Crawlers"),
    "portal/saml/metadata/": (FILE, "SAML-Metadaten des Portals (XML)"),
    "portal/<slug:mandant>/postfach/<uuid:brief_id>/brief.pdf": (
        FILE,
        "Brief im Bürgerpostfach (PDF; das erste Öffnen ist der Abruf)",
    ),
    "portal/<slug:mandant>/nachrichten/<uuid:vorgang_id>/anlagen/<uuid:anlage_id>/": (
        FILE,
        "Dokument der Akte, das einer Antwort der Verwaltung anhängt (Download)",
    ),
}
# Pages outside the crawl of signed-in roles; other browser tests check them.
CHECKED_ELSEWHERE: dict[str, str] = {
    "anmelden/": "test_anonymous_and_error_pages, test_form_error_states",
    "barrierefreiheit/": "test_anonymous_and_error_pages",
    "zweiter-faktor/": "test_second_factor_page (no link leads there: the demo waives it)",
    "passwort-aendern/": "test_password_change_page (the demo's people need not change it)",
    # The citizens' portal: no staff link leads there; test_portal walks it as a citizen.
    "portal/demo-idp/sso/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/anmelden/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/email/anmelden/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/email/registrieren/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/email/erneut-senden/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/email/bestaetigen/<str:token>/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/vertretungen/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/hausbesuch/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/hausbesuch/<uuid:wunsch_id>/zurueckziehen/": (
        "test_portal.test_citizen_pages"
    ),
    "portal/<slug:mandant>/postfach/": "test_portal.test_citizen_pages",
    "portal/<slug:mandant>/nachrichten/<uuid:vorgang_id>/": "test_portal.test_citizen_pages",
    # A citizen's application, step by step, its check and its confirmation.
    "portal/<slug:mandant>/antraege/<uuid:antrag_id>/schritt/<slug:schritt_id>/": (
        "test_portal_antrag.test_apply_online_on_a_phone"
    ),
    "portal/<slug:mandant>/antraege/<uuid:antrag_id>/pruefen/": (
        "test_portal_antrag.test_apply_online_on_a_phone"
    ),
    "portal/<slug:mandant>/antraege/<uuid:antrag_id>/eingereicht/": (
        "test_portal_antrag.test_apply_online_on_a_phone"
    ),
    # „Mein Anliegen“: a citizen's applications, their timeline and a request for documents,
    # and the caseworker's request page (linked only from a Vorgang of an online
    # application). Walked over HTTP; no browser walk yet.
    "portal/<slug:mandant>/antraege/": "tests/portal/test_anliegen.py (HTTP)",
    "portal/<slug:mandant>/antraege/<uuid:antrag_id>/": "tests/portal/test_anliegen.py (HTTP)",
    "portal/<slug:mandant>/unterlagen/<uuid:nachforderung_id>/": (
        "tests/portal/test_anliegen.py (HTTP)"
    ),
    "verwaltung/portal/vorgaenge/<uuid:vorgang_id>/unterlagen-anfordern/": (
        "tests/portal/test_anliegen.py (HTTP)"
    ),
    # A session exists only once a field worker invited an expert with consent.
    "koffer/experte/<uuid:sitzung_id>/": (
        "test_experte.test_field_worker_and_expert_fill_one_form_at_the_same_time"
    ),
    # Offered only for a paired Koffer (the demo's devices are registered, not paired).
    "koffer/geraete/<uuid:geraet_id>/segment-neu/": (
        "tests/field/test_segment_neu.py (HTTP), test_segment_prozesse (real processes)"
    ),
    # The Koffer's own pages exist only in Koffer mode (404 in the office the crawl serves).
    "unterwegs/": "test_koffer_unterwegs.test_the_koffer_page_at_375px",
    "unterwegs/einrichten/": (
        "test_koffer_unterwegs.test_a_fresh_koffer_lands_on_its_set_up_page_at_375px"
    ),
}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def allowed_methods(view: Callable[..., Any]) -> set[str] | None:
    """The methods a view admits when it is wrapped in Django's require_http_methods
    (require_GET, require_POST, …), or None when nothing restricts them. The decorator
    keeps its list in the wrapper's closure; the wraps() chain is followed to find it."""
    seen: set[int] = set()
    func: Any = view
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        code = getattr(func, "__code__", None)
        cells = getattr(func, "__closure__", None) or ()
        if code is not None and "request_method_list" in code.co_freevars:
            methods = cells[code.co_freevars.index("request_method_list")].cell_contents
            return {str(m).upper() for m in methods}
        func = getattr(func, "__wrapped__", None)
    return None


def gettable_routes() -> dict[str, str]:
    """Route -> view name of every non-API pattern whose view admits GET."""
    routes: dict[str, str] = {}
    for route, view in _patterns(get_resolver()):
        if route == "api" or route.startswith("api/"):
            continue
        methods = allowed_methods(view)
        if methods is not None and "GET" not in methods:
            continue
        routes[route] = f"{view.__module__}.{getattr(view, '__name__', view)}"
    return routes


def page_routes() -> dict[str, str]:
    """Route -> view name of every GET-able pattern that is a page the crawl must reach."""
    return {
        route: view
        for route, view in gettable_routes().items()
        if route not in NOT_PAGES and route not in CHECKED_ELSEWHERE
    }


def all_routes() -> set[str]:
    return {route for route, _ in _patterns(get_resolver())}
