"""URLs of the Posteingang: each feature's list."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.inbox.fitconnect import urls as fitconnect_urls
from koffer.inbox.klaerung import urls as klaerung_urls
from koffer.inbox.lieferung import urls as lieferung_urls
from koffer.inbox.migration import urls as migration_urls
from koffer.inbox.originale import urls as originale_urls
from koffer.inbox.rueckpost import urls as rueckpost_urls
from koffer.inbox.rueckscan import urls as rueckscan_urls
from koffer.inbox.verarbeitung import urls as verarbeitung_urls

app_name = "inbox"

urlpatterns: list[URLPattern] = [
    *lieferung_urls.urlpatterns,
    *klaerung_urls.urlpatterns,
    *verarbeitung_urls.urlpatterns,
    *rueckscan_urls.urlpatterns,
    *rueckpost_urls.urlpatterns,
    *migration_urls.urlpatterns,
    *originale_urls.urlpatterns,
    *fitconnect_urls.urlpatterns,
]
