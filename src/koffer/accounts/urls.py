from django.urls import path

from koffer.accounts import views

app_name = "accounts"
urlpatterns = [
    path("anmelden/", views.login_view, name="login"),
    path("abmelden/", views.logout_view, name="logout"),
    path("zweiter-faktor/", views.otp_view, name="otp"),
    path("passwort-aendern/", views.password_change, name="password_change"),
    path("mandant-wechseln/", views.switch_tenant, name="switch_tenant"),
    path("verwaltung/benutzer/", views.user_list, name="users"),
    path("verwaltung/benutzer/neu/", views.user_create, name="user_create"),
    path("verwaltung/benutzer/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path(
        "verwaltung/benutzer/<uuid:user_id>/schluessel/neu/",
        views.token_create,
        name="token_create",
    ),
    path("verwaltung/maschinenkonten/neu/", views.machine_create, name="machine_create"),
    path(
        "verwaltung/schluessel/<uuid:token_id>/widerrufen/", views.token_revoke, name="token_revoke"
    ),
    path("verwaltung/rollen/", views.roles, name="roles"),
    path("verwaltung/organisation/", views.organisation, name="organisation"),
    path(
        "verwaltung/organisation/grenzen/",
        views.organisation_limits,
        name="organisation_limits",
    ),
]
