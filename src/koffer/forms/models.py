"""Every table of the Formulare. Citus-ready: each table carries ``tenant_id``, and each
unique constraint includes it.

A :class:`Formular` is one form of the Mandant's catalogue; its :class:`Formularversion`
rows hold the definition JSON (format 1, ``koffer.forms.definition``), each frozen once
imported (a database trigger refuses UPDATE), so that a submission made with version 3
reads the same in ten years. An :class:`Entwurf` is a draft being filled in for an Akte:
it keeps the answers as entered, whatever their errors, and stays on its version. An
:class:`Einreichung` is the submitted form: the checked values and the Dokument filed in
the Akte.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from koffer.tenancy.scoping import TenantOwned


class Formular(TenantOwned):
    """A form of the catalogue. ``aktuelle_version`` is the one new drafts use."""

    schluessel = models.SlugField("Schlüssel", max_length=60)
    titel = models.CharField("Titel", max_length=300)
    aktuelle_version = models.ForeignKey(
        "Formularversion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    # Offered to citizens as an online service (the Online-Dienste use it).
    online = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Formular"
        verbose_name_plural = "Formulare"
        ordering = ["titel"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "schluessel"], name="forms_formular_uniq"),
        ]

    def __str__(self) -> str:
        return self.titel


class Formularversion(TenantOwned):
    """One version of a form: the definition JSON as imported, immutable."""

    formular = models.ForeignKey(Formular, on_delete=models.PROTECT, related_name="versionen")
    nummer = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Formularversion"
        verbose_name_plural = "Formularversionen"
        ordering = ["formular", "-nummer"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "formular", "nummer"], name="forms_formularversion_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.formular} (Version {self.nummer})"


class Entwurf(TenantOwned):
    """A form being filled in for an Akte. ``antworten`` are the answers as entered (a
    draft never loses what was typed, errors included); ``vorbelegt`` says which field
    was prefilled from where (field id → source)."""

    class Status(models.TextChoices):
        OFFEN = "offen", "in Bearbeitung"
        EINGEREICHT = "eingereicht", "eingereicht"
        VERWORFEN = "verworfen", "verworfen"

    formularversion = models.ForeignKey(Formularversion, on_delete=models.PROTECT, related_name="+")
    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    vorgang = models.ForeignKey(
        "records.Vorgang", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    antworten = models.JSONField(default=dict, blank=True)
    schritt = models.CharField("Schritt", max_length=40, blank=True)
    vorbelegt = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Entwurf"
        verbose_name_plural = "Entwürfe"
        indexes = [
            models.Index(fields=["tenant", "akte", "status"], name="forms_entwurf_akte_idx"),
        ]

    def __str__(self) -> str:
        return f"Entwurf {self.pk}"


class Einreichung(TenantOwned):
    """A submitted form: the checked, normalised ``werte`` and the Dokument filed in the
    Akte (and the Vorgang the submission opened or named)."""

    class Kanal(models.TextChoices):
        SCHALTER = "schalter", "am Schalter erfasst"
        KOFFER = "koffer", "unterwegs erfasst"
        ONLINE = "online", "online eingereicht"
        PAPIER = "papier", "auf Papier eingegangen"

    entwurf = models.ForeignKey(Entwurf, on_delete=models.PROTECT, related_name="+")
    formularversion = models.ForeignKey(Formularversion, on_delete=models.PROTECT, related_name="+")
    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    vorgang = models.ForeignKey(
        "records.Vorgang", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dokument = models.ForeignKey("records.Dokument", on_delete=models.PROTECT, related_name="+")
    werte = models.JSONField(default=dict)
    kanal = models.CharField(max_length=10, choices=Kanal.choices, default=Kanal.SCHALTER)
    eingereicht_am = models.DateTimeField()
    eingereicht_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Einreichung"
        verbose_name_plural = "Einreichungen"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entwurf"], name="forms_einreichung_uniq"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "akte", "eingereicht_am"], name="forms_einreichung_akte_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Einreichung {self.pk}"
