"""Pages of templates, text blocks and letterheads."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.outbox.vorlagen import views

urlpatterns: list[URLPattern] = [
    path("postausgang/vorlagen/", views.vorlagen, name="vorlagen"),
    path("postausgang/vorlagen/neu/", views.vorlage_neu, name="vorlage_neu"),
    path("postausgang/vorlagen/<uuid:vorlage_id>/", views.vorlage, name="vorlage"),
    path(
        "postausgang/vorlagen/<uuid:vorlage_id>/einstellungen/",
        views.vorlage_einstellungen,
        name="vorlage_einstellungen",
    ),
    path(
        "postausgang/vorlagen/<uuid:vorlage_id>/neue-version/",
        views.vorlage_version_neu,
        name="vorlage_version_neu",
    ),
    path(
        "postausgang/vorlagen/<uuid:vorlage_id>/versionen/<int:number>/",
        views.vorlage_version,
        name="vorlage_version",
    ),
    path("postausgang/textbausteine/", views.bausteine, name="bausteine"),
    path("postausgang/textbausteine/neu/", views.baustein_neu, name="baustein_neu"),
    path("postausgang/textbausteine/<uuid:baustein_id>/", views.baustein, name="baustein"),
    path(
        "postausgang/textbausteine/<uuid:baustein_id>/deaktivieren/",
        views.baustein_deaktivieren,
        name="baustein_deaktivieren",
    ),
    path("postausgang/briefkoepfe/", views.briefkoepfe, name="briefkoepfe"),
    path("postausgang/briefkoepfe/standard/", views.briefkopf_standard, name="briefkopf_standard"),
    path(
        "postausgang/briefkoepfe/<uuid:unit_id>/", views.briefkopf_einheit, name="briefkopf_einheit"
    ),
]
