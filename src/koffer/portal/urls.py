from django.urls import path

from koffer.portal import verwaltung, views
from koffer.portal.anliegen import urls as anliegen_urls
from koffer.portal.antrag import urls as antrag_urls
from koffer.portal.hausbesuch import urls as hausbesuch_urls
from koffer.portal.nachrichten import urls as nachrichten_urls
from koffer.portal.postfach import urls as postfach_urls

app_name = "portal"

urlpatterns = [
    # The office's page (a staff page: not under /portal/, the citizens' part).
    path(
        "verwaltung/portal/vertretungen/",
        views.vertretungen_verwaltung,
        name="vertretungen_verwaltung",
    ),
    path("verwaltung/portal/konten/", verwaltung.konten_verwaltung, name="konten_verwaltung"),
    path(
        "verwaltung/portal/einstellungen/",
        verwaltung.einstellungen_verwaltung,
        name="einstellungen_verwaltung",
    ),
    # Before the Mandant's pages, so that no slug can shadow them.
    path("portal/saml/acs/", views.saml_acs, name="saml_acs"),
    path("portal/saml/metadata/", views.saml_metadaten, name="saml_metadaten"),
    path("portal/demo-idp/sso/", views.demo_idp, name="demo_idp"),
    path("portal/<slug:mandant>/", views.start, name="start"),
    path("portal/<slug:mandant>/anmelden/", views.anmelden, name="anmelden"),
    path("portal/<slug:mandant>/anmelden/bundid/", views.bundid_starten, name="bundid"),
    path("portal/<slug:mandant>/email/anmelden/", views.email_anmelden, name="email_anmelden"),
    path(
        "portal/<slug:mandant>/email/registrieren/",
        views.email_registrieren,
        name="email_registrieren",
    ),
    path(
        "portal/<slug:mandant>/email/erneut-senden/",
        views.email_erneut_senden,
        name="email_erneut_senden",
    ),
    path(
        "portal/<slug:mandant>/email/bestaetigen/<str:token>/",
        views.email_bestaetigen,
        name="email_bestaetigen",
    ),
    path("portal/<slug:mandant>/vertretungen/", views.vertretungen, name="vertretungen"),
    path("portal/<slug:mandant>/abmelden/", views.abmelden, name="abmelden"),
    *antrag_urls.urlpatterns,
    *hausbesuch_urls.urlpatterns,
    *anliegen_urls.urlpatterns,
    *postfach_urls.urlpatterns,
    *nachrichten_urls.urlpatterns,
]
