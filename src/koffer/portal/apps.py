from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "koffer.portal"
    label = "portal"
    verbose_name = "Online-Dienste"

    def ready(self) -> None:
        from koffer.portal.antrag import services as antraege
        from koffer.records.dokumente import services as documents

        # A draft's uploads and a submission's receipt are blobs the ledger must keep.
        documents.register_blob_reference(antraege.blob_referenced)
