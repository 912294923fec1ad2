"""What the Platzbörse's pages share: the one form page, the titles that other pages link
back to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from koffer.accounts.http import TenantRequest
from koffer.shell.breadcrumbs import trail

GESUCHE = "Platzgesuche"


def form_page(
    request: TenantRequest,
    form: Any,
    title: str,
    crumbs: Sequence[tuple[str, str | None]],
    submit: str,
) -> HttpResponse:
    """A form on its own page; 400 when it was sent with errors."""
    return render(
        request,
        "placements/form.html",
        {
            "form": form,
            "page_title": title,
            "submit_label": submit,
            "breadcrumbs": trail(*crumbs, (title, None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
