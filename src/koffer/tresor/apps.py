from django.apps import AppConfig


class TresorConfig(AppConfig):
    name = "koffer.tresor"
    label = "tresor"
    verbose_name = "Tresor (Daten im Koffer)"

    def ready(self) -> None:
        from koffer.blobs.store import BACKENDS
        from koffer.tresor.start import tresor_blobstore

        BACKENDS["tresor"] = tresor_blobstore
