"""Mandanten and their Organisationseinheiten."""

from __future__ import annotations

from django.db import models
from uuid6 import uuid7

from koffer.identifiers import validate_leitweg_id
from koffer.tenancy.scoping import TenantOwned


class Mandant(models.Model):
    """One authority (Kreis, Stadt, Jobcenter) or provider organisation (Träger)."""

    class Kind(models.TextChoices):
        KREIS = "kreis", "Kreisverwaltung"
        GEMEINDE = "gemeinde", "Gemeinde/Stadt"
        JOBCENTER = "jobcenter", "Jobcenter"
        TRAEGER = "traeger", "Freier Träger"
        LANDESJUGENDAMT = "landesjugendamt", "Landesjugendamt"
        MINISTERIUM = "ministerium", "Ministerium"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    leitweg_id = models.CharField(max_length=60, blank=True, validators=[validate_leitweg_id])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Upload limits of this Mandant; empty: the settings' defaults
    # (KOFFER_MAX_PAGES_PER_FILE, KOFFER_MAX_IMAGE_FRAMES).
    max_pages_per_file = models.PositiveIntegerField(
        "Höchstzahl Seiten je PDF", null=True, blank=True
    )
    max_image_frames = models.PositiveIntegerField(
        "Höchstzahl Einzelbilder je TIFF", null=True, blank=True
    )

    class Meta:
        verbose_name = "Mandant"
        verbose_name_plural = "Mandanten"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisationseinheit(TenantOwned):
    """Department, team or site inside a Mandant; roles attach to it."""

    class Kind(models.TextChoices):
        BEHOERDE = "behoerde", "Behörde"
        AMT = "amt", "Amt/Fachbereich"
        TEAM = "team", "Team"
        STANDORT = "standort", "Standort"
        EINRICHTUNG = "einrichtung", "Einrichtung"

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TEAM)
    # Materialised path of ancestor ids ("/<id>/<id>/"), so "this unit and below" is one
    # indexed prefix query instead of a recursive walk.
    path = models.CharField(max_length=1200, db_index=True)

    class Meta:
        verbose_name = "Organisationseinheit"
        verbose_name_plural = "Organisationseinheiten"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "parent", "name"], name="oe_unique_name_per_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Counter(TenantOwned):
    """Gap-free counters of one Mandant, one row per key: Aktenzeichen per plan unit and
    year (``az:…``), BG-Nummer (``bg``), Gesuch, Rechnung and Meldung numbers per year.
    Incremented in the same transaction as the row that takes the number, so a rollback
    returns it (see :mod:`koffer.tenancy.counters`)."""

    key = models.CharField(max_length=120)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "Zähler"
        verbose_name_plural = "Zähler"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="tenancy_counter_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
