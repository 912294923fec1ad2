"""The login page's hint in demo mode: the shared password and who can sign in."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from koffer.demo import district

register = template.Library()


@register.inclusion_tag("demo/_login_hint.html")
def demo_login_hint() -> dict[str, Any]:
    """Empty outside demo mode, and before the demo district is loaded (``serve --no-demo``):
    a production login page never names an account or a password."""
    if not settings.DEMO_MODE or not district.is_loaded():
        return {"groups": []}
    return {"password": district.DEMO_PASSWORD, "groups": district.logins_by_mandant()}
