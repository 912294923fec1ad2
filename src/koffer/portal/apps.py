from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "koffer.portal"
    label = "portal"
    verbose_name = "Online-Dienste"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.audit import geheimnisse
        from koffer.outbox.postfach import kanal

        # SAML key files of earlier versions move into the database at the first start.
        from koffer.portal import emailkonten, schluessel
        from koffer.portal.anliegen import services as anliegen
        from koffer.portal.anliegen import verwaltung as nachforderungen
        from koffer.portal.antrag import services as antraege
        from koffer.portal.nachrichten import links as nachrichten_links
        from koffer.portal.postfach import empfang
        from koffer.portal.postfach import tasks as postfach_tasks
        from koffer.records import erweiterungen
        from koffer.records.dokumente import services as documents
        from koffer.shell.navigation import NavEntry, register

        geheimnisse.bei_start(schluessel.uebernehmen)

        # A draft's uploads and a submission's receipt are blobs the ledger must keep.
        documents.register_blob_reference(antraege.blob_referenced)
        documents.register_blob_reference(anliegen.blob_referenced)
        erweiterungen.register(
            erweiterungen.Aktion(
                key="portal_nachforderung",
                label=nachforderungen.TITEL,
                url=nachforderungen.link,
            )
        )
        # The Postausgang's channel „Bürgerpostfach“ (the outbox never imports the portal).
        kanal.register(
            kanal.Postfach(erreichbar=empfang.erreichbar, bereitgestellt=empfang.bereitgestellt)
        )
        postfach_tasks.register_job_kind()
        emailkonten.register_job_kind()  # the e-mail accounts' mails, off the request
        # „Nachrichten (Online-Dienste)“ on a Vorgang's page (records never imports us).
        erweiterungen.register(
            erweiterungen.Aktion(
                key="portal_nachrichten",
                label="Nachrichten (Online-Dienste)",
                url=nachrichten_links.nachrichten,
            )
        )
        register(
            NavEntry(
                key="portal_vertretungen",
                label="Portal: Vertretungen",
                url_name="portal:vertretungen_verwaltung",
                description="Anträge von Betreuer:innen und Bevollmächtigten aus den "
                "Online-Diensten: mit der Person der Akte bestätigen oder ablehnen.",
                permission=Perm.RECORDS_EDIT,
                order=49,
            )
        )
        # portal.access.verknuepft_konten: who edits Akten (the person's Akte decides).
        register(
            NavEntry(
                key="portal_konten",
                label="Portal: Bürgerkonten",
                url_name="portal:konten_verwaltung",
                description="Bürgerkonten der Online-Dienste suchen und einer Person der "
                "E-Akte zuordnen, oder die Zuordnung mit Grund aufheben.",
                permission=Perm.RECORDS_EDIT,
                order=50,
            )
        )
        # portal.access.verwaltet_portal: the administration (tenancy.manage).
        register(
            NavEntry(
                key="portal_einstellungen",
                label="Portal: Einstellungen",
                url_name="portal:einstellungen_verwaltung",
                description="Einstellungen der Online-Dienste des Mandanten, zum Beispiel "
                "ob Konten mit E-Mail-Adresse erlaubt sind.",
                permission=Perm.TENANCY_MANAGE,
                order=97,
            )
        )
        # portal.access.verwaltet_angebot: the administration (tenancy.manage).
        register(
            NavEntry(
                key="portal_angebote",
                label="Portal: Online-Anträge",
                url_name="portal:angebote_verwaltung",
                description="Welche Formulare des Katalogs Bürgerinnen und Bürger online "
                "stellen können, und welche Stelle Online-Anträge ohne Akte zuordnet.",
                permission=Perm.TENANCY_MANAGE,
                order=96,
            )
        )
        register(
            NavEntry(
                key="portal_hausbesuche",
                label="Portal: Hausbesuche",
                url_name="portal:hausbesuche_verwaltung",
                description="Ob Bürgerinnen und Bürger in den Online-Diensten einen Hausbesuch "
                "anfragen können, und welche Stelle die Besuche plant.",
                permission=Perm.TENANCY_MANAGE,
                order=96,
            )
        )
