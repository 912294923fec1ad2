"""``{% load shell %}``: template tags of the page frame."""

from __future__ import annotations

from django import template

from koffer.shell import navigation

register = template.Library()


@register.simple_tag
def cached_url(url_name: str) -> str:
    """``{% url url_name %}`` for a URL without arguments, resolved once per process:
    shell/base.html links to the same few pages on every page, and each ``{% url %}``
    cost a reverse() (≈ 20 µs; make bench ONLY=core_start_page)."""
    return navigation.url(url_name)
