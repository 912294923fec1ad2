"""Every table of the Posteingang. Citus-ready: each table carries ``tenant_id``, and each
unique constraint includes it.

A :class:`Stapel` is one delivery of a scan provider (a batch of scanned files with its
transfer note, the Lieferschein); its :class:`Stapeldatei` rows are the files the
Lieferschein declares and the files that came with it; a :class:`Problem` is one finding
about the batch or one of its files, kept for the provider's status and the mail room; an
:class:`Ablehnung` is a batch folder of the drop folder that could not be delivered at all
(no Lieferschein, an invalid one), kept aside with its reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from koffer.tenancy.scoping import TenantOwned


class Stapel(TenantOwned):
    """A delivered batch (TR-RESISCAN: its transfer note, hashes and quality result are
    kept verbatim with it). Unique per Mandant, provider and the provider's batch id; the
    same batch delivered again is recognised by ``delivery_sha256``."""

    class State(models.TextChoices):
        ANGENOMMEN = "angenommen", "angenommen"
        IN_PRUEFUNG = "in_pruefung", "in Prüfung"
        VERARBEITET = "verarbeitet", "verarbeitet"
        MIT_PROBLEMEN = "mit_problemen", "mit Problemen"
        QUARANTAENE = "quarantaene", "Quarantäne"

    class Source(models.TextChoices):
        API = "api", "API"
        ORDNER = "ordner", "Übergabeordner"

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )
    batch_id = models.CharField("Stapelnummer", max_length=100)
    scan_date = models.DateField("Scandatum")
    operator = models.CharField("Bediener", max_length=200)
    scanner = models.CharField("Scanner", max_length=200)
    quality = models.JSONField("Qualitätsprüfung", default=dict)
    quality_passed = models.BooleanField("Qualitätsprüfung bestanden")
    manifest = models.TextField("Lieferschein")  # verbatim, as delivered (UTF-8 JSON)
    manifest_sha256 = models.CharField(max_length=64)
    delivery_sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=10, choices=Source.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ANGENOMMEN)
    job_id = models.UUIDField(null=True, blank=True)  # the verification job
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Stapel"
        verbose_name_plural = "Stapel"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "provider", "batch_id"], name="inbox_stapel_batch_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=[
                        "angenommen",
                        "in_pruefung",
                        "verarbeitet",
                        "mit_problemen",
                        "quarantaene",
                    ]
                ),
                name="inbox_stapel_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "provider", "created_at"], name="inbox_stapel_provider"),
            models.Index(fields=["tenant", "state", "created_at"], name="inbox_stapel_state"),
        ]

    def __str__(self) -> str:
        return f"Stapel {self.batch_id}"

    @property
    def has_problems(self) -> bool:
        return self.state in (self.State.MIT_PROBLEMEN, self.State.QUARANTAENE)


class Stapeldatei(TenantOwned):
    """One file of a batch: declared in the Lieferschein (name, pages, SHA-256), delivered
    (its bytes in the blob store under ``sha256``), or both. A declared file that did not
    come is ``fehlt``; a file the Lieferschein does not name is put in quarantine."""

    class State(models.TextChoices):
        ANGENOMMEN = "angenommen", "angenommen"
        GEPRUEFT = "geprueft", "geprüft"
        FEHLT = "fehlt", "fehlt"
        QUARANTAENE = "quarantaene", "Quarantäne"

    stapel = models.ForeignKey(Stapel, on_delete=models.PROTECT, related_name="dateien")
    position = models.PositiveIntegerField()  # order in the Lieferschein, extra files after
    name = models.CharField(max_length=255)
    declared = models.BooleanField(default=True)  # named in the Lieferschein
    declared_pages = models.PositiveIntegerField(null=True, blank=True)
    declared_sha256 = models.CharField(max_length=64, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)  # blob hash; empty: not delivered
    size = models.PositiveBigIntegerField(default=0)
    kind = models.CharField(max_length=10, blank=True)  # pdf, tiff (after the check)
    pages = models.PositiveIntegerField(null=True, blank=True)  # counted by the check
    state = models.CharField(max_length=12, choices=State.choices, default=State.ANGENOMMEN)

    class Meta:
        verbose_name = "Stapeldatei"
        verbose_name_plural = "Stapeldateien"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "stapel", "name"], name="inbox_stapeldatei_name_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["angenommen", "geprueft", "fehlt", "quarantaene"]),
                name="inbox_stapeldatei_state_valid",
            ),
        ]
        # The blob ledger asks whether a delivered file still points to a blob.
        indexes = [models.Index(fields=["sha256"], name="inbox_stapeldatei_sha256")]

    def __str__(self) -> str:
        return self.name


class Problem(TenantOwned):
    """One finding about a batch (``datei`` empty) or one of its files: a stable code and
    a German message. ``key`` makes each finding unique, so a check run twice (after an
    interruption) records it once."""

    stapel = models.ForeignKey(Stapel, on_delete=models.PROTECT, related_name="probleme")
    datei = models.ForeignKey(
        Stapeldatei, null=True, blank=True, on_delete=models.PROTECT, related_name="probleme"
    )
    key = models.CharField(max_length=120)
    code = models.CharField(max_length=40)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Problem"
        verbose_name_plural = "Probleme"
        ordering = ["created_at", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "stapel", "key"], name="inbox_problem_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.message


class Ablehnung(TenantOwned):
    """A batch folder of a provider's drop folder that was refused before it became a
    batch: where it was kept (``kept_as`` under ``.abgelehnt/``) and why, so that the
    provider and the mail room see it on their pages and nothing is lost silently."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    folder = models.CharField("Stapelordner", max_length=255)
    kept_as = models.CharField("Abgelegt als", max_length=300)
    reason = models.TextField("Grund")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Abgelehnte Übergabe"
        verbose_name_plural = "Abgelehnte Übergaben"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "created_at"], name="inbox_ablehnung_created")]

    def __str__(self) -> str:
        return f"Abgelehnte Übergabe {self.folder}"
