"""Project URL wiring: every app's pages and the versioned API with its routers."""

from django.urls import include, path

from koffer.api import me, problems, units
from koffer.api.base import make_api
from koffer.api.probes import healthz, readyz
from koffer.field import api as field_api
from koffer.forms import api as forms_api
from koffer.inbox import api as inbox_api
from koffer.jobs import api as jobs_api
from koffer.outbox import api as outbox_api
from koffer.placements import api as placements_api
from koffer.portal import api as portal_api
from koffer.privacy import api as privacy_api
from koffer.records import api as records_api

handler400 = "koffer.shell.views.bad_request"
handler403 = "koffer.shell.views.forbidden"
handler404 = "koffer.shell.views.not_found"
handler500 = "koffer.shell.views.server_error"

api = make_api()
api.add_router("", me.router)
api.add_router("", units.router)
api.add_router("/jobs", jobs_api.router)
api.add_router("/audit", privacy_api.router)
api.add_router("", records_api.router)
api.add_router("", placements_api.router)
api.add_router("", inbox_api.router)
api.add_router("", outbox_api.router)
api.add_router("", forms_api.router)
api.add_router("", field_api.router)
api.add_router("", portal_api.router)

urlpatterns = [
    path("", include("koffer.shell.urls")),
    path("", include("koffer.accounts.urls")),
    path("", include("koffer.jobs.urls")),
    path("", include("koffer.records.urls")),
    path("", include("koffer.placements.urls")),
    path("", include("koffer.inbox.urls")),
    path("", include("koffer.outbox.urls")),
    path("", include("koffer.forms.urls")),
    path("", include("koffer.field.urls")),
    path("", include("koffer.privacy.urls")),
    path("", include("koffer.portal.urls")),
    path("api/v1/", api.urls),
    # /api itself too: else CommonMiddleware's APPEND_SLASH answers an HTML 301 to /api/,
    # which is a 404 anyway.
    path("api", problems.unknown_path),
    path("api/", problems.unknown_path),
    path("api/<path:rest>", problems.unknown_path),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
