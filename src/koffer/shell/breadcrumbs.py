"""The breadcrumb trail every page renders (shell/base.html): always from the start page."""

from __future__ import annotations

from django.urls import reverse

Crumb = dict[str, str | None]


def trail(*items: tuple[str, str | None]) -> list[Crumb]:
    """Start, then ``items`` as (label, url); the last one is the current page."""
    crumbs: list[Crumb] = [{"label": "Start", "url": reverse("shell:start")}]
    crumbs.extend({"label": label, "url": url} for label, url in items)
    return crumbs
