"""The search page (/suche/) and the header quick search's suggestions. Thin: parse the GET
form, call koffer.records.search, render. Reading a result list opens no document, so
nothing is audited here; the document page audits its own reads."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.records import search
from koffer.records.models import Akte, Dokument
from koffer.records.selectors import Viewer

PAGE_SIZE = 25
# URL names of the document page, newest naming first; the first that resolves is used.
DOKUMENT_URL_NAMES = ("records:dokument_detail", "records:dokument")
AKTE_URL_NAME = "records:akte_detail"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "kern-form-input__input"})


def _text(label: str, max_length: int, help_text: str = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", **attrs}),
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."},
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )


class SearchForm(forms.Form):
    """GET form: every search is a bookmarkable URL."""

    q = forms.CharField(
        label="Suchbegriffe",
        required=False,
        max_length=300,
        help_text=(
            "Gefunden werden Dokumente, die alle Wörter enthalten, auch in anderer Form "
            "und Schreibweise („Bescheid“ findet „Bescheide“, „Yilmaz“ findet „Yılmaz“) "
            "und in zusammengesetzten Wörtern („Heizkosten“ findet "
            "„Heizkostenabrechnung“). „Wortgruppe“ oder „Wort“ in Anführungszeichen: "
            "genau so. Wortanfang mit * (Widerspr*), Ausschluss mit Minus (-Klage). "
            "Text in gescannten Bildern ist noch nicht durchsuchbar."
        ),
        widget=forms.TextInput(
            attrs={"class": "kern-form-input__input", "type": "search", "autocomplete": "off"}
        ),
    )
    aktenzeichen = _text("Aktenzeichen (Anfang)", 80, autocomplete="off")
    person = _text(
        "Person",
        200,
        "Familienname oder dessen Anfang, auch „Familienname, Vorname“.",
        autocomplete="off",
    )
    geburtsdatum = _date("Geburtsdatum der Person")
    bg = _text("BG-Nummer (Anfang)", 30, autocomplete="off")
    art = forms.ChoiceField(label="Dokumentart", required=False, choices=[])
    vorgang = forms.ChoiceField(label="Vorgangsart", required=False, choices=[])
    eingang_von = _date("Eingang ab")
    eingang_bis = _date("Eingang bis")
    angelegt_von = _date("Abgelegt ab")
    angelegt_bis = _date("Abgelegt bis")
    status = forms.ChoiceField(
        label="Dokumentstatus",
        required=False,
        choices=[("", "alle"), *Dokument.Status.choices],
    )
    akte_status = forms.ChoiceField(
        label="Aktenstatus", required=False, choices=[("", "alle"), *Akte.Status.choices]
    )
    seite = forms.IntegerField(required=False, min_value=1, max_value=search.COUNT_CAP)

    FILTER_FIELDS = (
        "aktenzeichen",
        "person",
        "geburtsdatum",
        "bg",
        "art",
        "vorgang",
        "eingang_von",
        "eingang_bis",
        "angelegt_von",
        "angelegt_bis",
        "status",
        "akte_status",
    )

    def __init__(self, *args: Any, tenant_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        art = self.fields["art"]
        vorgang = self.fields["vorgang"]
        assert isinstance(art, forms.ChoiceField) and isinstance(vorgang, forms.ChoiceField)
        art.choices = [("", "alle"), *((k, k) for k in search.document_kinds(tenant_id))]
        vorgang.choices = [("", "alle"), *search.vorgang_types(tenant_id)]
        for name in ("art", "vorgang", "status", "akte_status"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__select"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("eingang_von", "eingang_bis"), ("angelegt_von", "angelegt_bis")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, "Das Ende des Zeitraums liegt vor seinem Anfang.")
        return data

    def filters(self) -> search.SearchFilters:
        d = self.cleaned_data
        return search.SearchFilters(
            aktenzeichen=d.get("aktenzeichen") or "",
            person=d.get("person") or "",
            birth_date=d.get("geburtsdatum"),
            bg_nummer=d.get("bg") or "",
            kind=d.get("art") or "",
            vorgang_typ=d.get("vorgang") or "",
            received_from=d.get("eingang_von"),
            received_to=d.get("eingang_bis"),
            created_from=d.get("angelegt_von"),
            created_to=d.get("angelegt_bis"),
            status=d.get("status") or "",
            akte_status=d.get("akte_status") or "",
        )

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FILTER_FIELDS]

    def filters_used(self) -> bool:
        return any(self.data.get(name) for name in self.FILTER_FIELDS)


def _viewer(request: TenantRequest) -> Viewer:
    return Viewer(access=request.access, user_id=request.user.pk)


@cache
def _dokument_url_name() -> str | None:
    for name in DOKUMENT_URL_NAMES:
        try:
            reverse(name, kwargs={"dokument_id": uuid.UUID(int=0)})
        except NoReverseMatch:
            continue
        return name
    return None


def _url(name: str | None, **kwargs: uuid.UUID) -> str | None:
    if name is None:
        return None
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


@require_perm(Perm.RECORDS_VIEW)
def suche(request: TenantRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, tenant_id=request.tenant.pk)
    result: search.SearchResult | None = None
    akten: list[search.AkteHit] = []
    if form.is_bound and form.is_valid():
        query = form.cleaned_data.get("q") or ""
        page = form.cleaned_data.get("seite") or 1
        viewer = _viewer(request)
        result = search.search(
            viewer, query, form.filters(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        if page == 1 and query.strip():
            akten = search.find_akten(viewer, query)
    dokument_url = _dokument_url_name()
    hits = [
        {
            "hit": hit,
            "url": _url(dokument_url, dokument_id=hit.dokument_id),
            "akte_url": _url(AKTE_URL_NAME, akte_id=hit.akte_id),
        }
        for hit in (result.hits if result else [])
    ]
    return render(
        request,
        "records/suche.html",
        {
            "page_title": "Suche",
            "breadcrumbs": [
                {"label": "Start", "url": reverse("shell:start")},
                {"label": "Suche", "url": None},
            ],
            "form": form,
            "result": result,
            "hits": hits,
            "akten": [{"hit": a, "url": _url(AKTE_URL_NAME, akte_id=a.akte_id)} for a in akten],
            "previous_url": _page_url(request, result, -1),
            "next_url": _page_url(request, result, +1),
            "first_number": (result.offset + 1) if result else 0,
            "last_number": (result.offset + len(result.hits)) if result else 0,
        },
    )


def _page_url(request: TenantRequest, result: search.SearchResult | None, step: int) -> str | None:
    if (
        result is None
        or (step > 0 and not result.has_next)
        or (step < 0 and not result.has_previous)
    ):
        return None
    page = result.offset // result.limit + 1 + step
    params = {k: v for k, v in request.GET.items() if k != "seite" and v}
    if page > 1:
        params["seite"] = str(page)
    return f"{reverse('records:suche')}?{urlencode(params)}"


@require_perm(Perm.RECORDS_VIEW)
def suche_akten(request: TenantRequest) -> HttpResponse:
    """Suggestions for the header quick search (htmx). A direct visit (no JavaScript) goes
    to the search page with the same words."""
    text = request.GET.get("q", "")[:100]
    if not request.headers.get("HX-Request"):
        return redirect(f"{reverse('records:suche')}?{urlencode({'q': text})}")
    hits = search.find_akten(_viewer(request), text)
    return render(
        request,
        "records/suche_vorschlaege.html",
        {
            "text": text.strip(),
            "too_short": len(text.strip()) < search.FINDER_MIN_CHARS,
            "suggestions": [
                {"hit": h, "url": _url(AKTE_URL_NAME, akte_id=h.akte_id)} for h in hits
            ],
            "search_url": f"{reverse('records:suche')}?{urlencode({'q': text.strip()})}",
        },
    )
