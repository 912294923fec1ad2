from django.apps import AppConfig


class BlobsConfig(AppConfig):
    name = "koffer.blobs"
    label = "blobs"
    verbose_name = "Dokumentenspeicher"
