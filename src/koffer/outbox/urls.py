"""URLs of the Postausgang: each feature's pages."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.outbox.briefe import urls as briefe_urls
from koffer.outbox.lokaldruck import urls as lokaldruck_urls
from koffer.outbox.serienbriefe import urls as serienbriefe_urls
from koffer.outbox.versand import urls as versand_urls
from koffer.outbox.vorlagen import urls as vorlagen_urls

app_name = "outbox"

urlpatterns: list[URLPattern] = [
    *vorlagen_urls.urlpatterns,
    *briefe_urls.urlpatterns,
    *serienbriefe_urls.urlpatterns,
    *versand_urls.urlpatterns,
    *lokaldruck_urls.urlpatterns,
]
