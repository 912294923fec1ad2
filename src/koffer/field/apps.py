from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "koffer.field"
    label = "field"
    verbose_name = "Verwaltung aus dem Koffer"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.field.abgleich import selectors as abgleich
        from koffer.field.besuche import links as besuche_links
        from koffer.field.experte import services as experte
        from koffer.field.geraete import hinweis
        from koffer.field.unterwegs import ablauf, tasks, verfall
        from koffer.forms.ausfuellen import beobachter
        from koffer.jobs import anhalten, periodic
        from koffer.records import erweiterungen, numbering
        from koffer.records.dokumente import services as documents
        from koffer.shell.navigation import NavEntry, register

        # Files of new rows a Koffer brought that wait in the conflict queue stay.
        documents.register_blob_reference(abgleich.blob_wartet)

        # Provisional numbers on a Koffer name it: KOFFER-<Koffer>-0001.
        numbering.register_koffer_kennung(abgleich.koffer_kennung)
        # „Im Koffer bei … seit …“ on the Akte's page and API detail.
        erweiterungen.register_hinweis(
            erweiterungen.Hinweis(key="field_im_koffer", text=hinweis.im_koffer)
        )
        erweiterungen.register_hinweis(
            erweiterungen.Hinweis(key="field_konflikte", text=abgleich.hinweis)
        )
        erweiterungen.register(
            erweiterungen.Aktion(
                key="field_besuch_planen", label="Hausbesuch planen", url=besuche_links.planen
            )
        )
        register(
            NavEntry(
                key="field_hausbesuche",
                label="Meine Hausbesuche",
                url_name="field:hausbesuche",
                description="Die Hausbesuche des Tages mit Anschrift, Anlass und den "
                "Formularen zum Mitnehmen; der Tourenplan zum Ausdrucken.",
                permission=Perm.FIELD_CHECKOUT,
                order=46,
            )
        )
        register(
            NavEntry(
                key="field_besuchswuensche",
                label="Hausbesuche: Anfragen",
                url_name="field:besuchswuensche",
                description="Anfragen nach einem Hausbesuch aus den Online-Diensten: einer "
                "Akte zuordnen und planen oder mit Grund ablehnen.",
                permission=Perm.RECORDS_EDIT,
                order=46,
            )
        )
        register(
            NavEntry(
                key="field_mein_koffer",
                label="Mein Koffer",
                url_name="field:mein_koffer",
                description="Den Laptop für Hausbesuche anmelden und koppeln, Akten "
                "mitnehmen und zurückgeben.",
                permission=Perm.FIELD_CHECKOUT,
                order=47,
            )
        )
        register(
            NavEntry(
                key="field_konflikte",
                label="Koffer: Konflikte",
                url_name="field:konflikte",
                description="Änderungen aus einem Koffer, die im Büro inzwischen anders "
                "geändert wurden: Wert aus dem Büro behalten oder aus dem Koffer übernehmen.",
                permission=(Perm.RECORDS_EDIT, Perm.FIELD_CHECKOUT),
                order=48,
            )
        )
        # The Koffer's own page on the laptop (Koffer mode only), its jobs, and the wipe of
        # expired checkouts in the worker's heartbeat.
        register(
            NavEntry(
                key="field_unterwegs",
                label="Koffer",
                url_name="field:unterwegs",
                description="Dieser Laptop als Koffer: Verbindung zum Büro, Akten bis wann, "
                "jetzt abholen und abgleichen.",
                permission=Perm.FIELD_CHECKOUT,
                order=45,
                shown_in=lambda _kind: ablauf.im_koffer(),
            )
        )
        tasks.register_job_kinds()
        # A draft saved through the form's own pages while an expert session is open on it
        # moves the session's field versions and tells both screens.
        beobachter.register(
            beobachter.Beobachter(
                key="field_experte", sperren=experte.sperren, geaendert=experte.formular_geaendert
            )
        )
        periodic.register("field.verfall", every=verfall.alle, run=verfall.abgelaufene_abwischen)
        # A Koffer crypto-erased after a revocation: its worker ends without another write.
        anhalten.register("field.geloescht", ablauf.anhalten)
        register(
            NavEntry(
                key="field_experte",
                label="Expertensitzungen",
                url_name="field:experte",
                description="Eine Expertin oder einen Experten aus dem Büro zu einem Formular "
                "zuschalten (mit Einwilligung) und gemeinsam ausfüllen; Einladungen annehmen.",
                permission=Perm.RECORDS_EDIT,
                order=49,
            )
        )
        register(
            NavEntry(
                key="field_geraete",
                label="Koffer: Geräte",
                url_name="field:geraete",
                description="Alle Koffer des Mandanten: letzte Verbindung, Akten im Koffer, "
                "einen verlorenen Koffer sperren.",
                permission=Perm.TENANCY_MANAGE,
                order=96,
            )
        )
        register(
            NavEntry(
                key="field_quarantaene",
                label="Koffer: Quarantäne",
                url_name="field:quarantaene",
                description="Protokolle von Koffern, die sich beim Abgleich nicht prüfen "
                "ließen, mit dem Grund: nichts davon wurde übernommen.",
                permission=Perm.TENANCY_MANAGE,
                order=97,
            )
        )
