"""URLs of the Koffer: each feature's pages."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.field.abgleich import urls as abgleich_urls
from koffer.field.besuche import urls as besuche_urls
from koffer.field.experte import urls as experte_urls
from koffer.field.geraete import urls as geraete_urls
from koffer.field.segment import urls as segment_urls
from koffer.field.unterwegs import urls as unterwegs_urls
from koffer.field.wuensche import urls as wuensche_urls

app_name = "field"

urlpatterns: list[URLPattern] = [
    *geraete_urls.urlpatterns,
    *besuche_urls.urlpatterns,
    *wuensche_urls.urlpatterns,
    *abgleich_urls.urlpatterns,
    *segment_urls.urlpatterns,
    *unterwegs_urls.urlpatterns,
    *experte_urls.urlpatterns,
]
