"""``{% load shell %}``: template tags of the page frame."""

from __future__ import annotations

import functools
from collections.abc import Hashable

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from koffer.shell import navigation

register = template.Library()


@register.simple_tag
def cached_url(url_name: str) -> str:
    """``{% url url_name %}`` for a URL without arguments, resolved once per process:
    shell/base.html links to the same few pages on every page, and each ``{% url %}``
    cost a reverse() (≈ 20 µs; make bench ONLY=core_start_page)."""
    return navigation.url(url_name)


@register.simple_tag
def frame_part(template_name: str, **values: Hashable) -> SafeString:
    """A part of the page frame that depends on ``values`` alone (no request, user or
    CSRF token), rendered once per process for each set of values: the style sheets and
    scripts, the module navigation and the start page's cards. About a third of the start
    page's template time (make bench ONLY=core_start_page). With DEBUG on, rendered every
    time, so that edited templates show at once."""
    if settings.DEBUG:
        return _render_part(template_name, values)
    return _cached_part(template_name, tuple(sorted(values.items())))


@functools.lru_cache(maxsize=1024)
def _cached_part(template_name: str, items: tuple[tuple[str, Hashable], ...]) -> SafeString:
    return _render_part(template_name, dict(items))


def _render_part(template_name: str, values: dict[str, Hashable]) -> SafeString:
    return mark_safe(get_template(template_name).render(values))  # noqa: S308 (our template)
