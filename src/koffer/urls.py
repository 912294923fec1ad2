"""Project URL wiring: every app's pages and the versioned API with its routers."""

from django.urls import include, path

from koffer.api import me, units
from koffer.api.base import make_api
from koffer.api.probes import healthz, readyz

handler403 = "koffer.shell.views.forbidden"
handler404 = "koffer.shell.views.not_found"
handler500 = "koffer.shell.views.server_error"

api = make_api()
api.add_router("", me.router)
api.add_router("", units.router)

urlpatterns = [
    path("", include("koffer.shell.urls")),
    path("", include("koffer.accounts.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
