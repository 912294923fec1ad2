"""Every table of the Postausgang. Citus-ready: each table carries ``tenant_id``, and each
unique constraint includes it.

A :class:`Briefkopf` is the letterhead of an Organisationseinheit (or the Mandant's
default); a :class:`Textbaustein` is a reusable piece of letter text (the
Rechtsbehelfsbelehrung among them); a :class:`Vorlage` is a letter template whose
:class:`VorlagenVersion` rows are its versions, each frozen once published, with its text
blocks expanded, so that a letter made with version 3 renders the same in ten years. A
:class:`Brief` is one letter: a draft while it is written, then released (filed in its
Akte as an outgoing, immutable Dokument) and sent through a channel; every change of its
state is a :class:`BriefEreignis`, the letter's timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from koffer.tenancy.scoping import TenantOwned


class Briefkopf(TenantOwned):
    """A letterhead: who writes, how to reach them. ``unit`` empty is the Mandant's
    default; a letter takes the head of its Akte's unit, else the nearest parent unit's,
    else the default."""

    unit = models.ForeignKey(
        "tenancy.Organisationseinheit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    behoerde = models.CharField("Behörde", max_length=200)
    abteilung = models.CharField("Abteilung", max_length=200, blank=True)
    anschrift = models.TextField("Anschrift")  # lines: street, PLZ and city
    ruecksendeangabe = models.CharField("Rücksendeangabe", max_length=120)
    telefon = models.CharField("Telefon", max_length=60, blank=True)
    email = models.CharField("E-Mail", max_length=120, blank=True)
    internet = models.CharField("Internet", max_length=120, blank=True)
    oeffnungszeiten = models.TextField("Öffnungszeiten", blank=True)  # lines
    bankverbindung = models.TextField("Bankverbindung", blank=True)  # lines
    logo_svg = models.TextField("Logo (SVG)", blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Briefkopf"
        verbose_name_plural = "Briefköpfe"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "unit"],
                name="outbox_briefkopf_unit_uniq",
                condition=models.Q(unit__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                name="outbox_briefkopf_default_uniq",
                condition=models.Q(unit__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.behoerde


class Textbaustein(TenantOwned):
    """A reusable piece of letter text, typst markup with placeholders. A template refers
    to it as ``{{ baustein:<code> }}``; publishing a template version copies the text in,
    so changing a block changes only versions published after it."""

    code = models.SlugField("Kürzel", max_length=60)
    titel = models.CharField("Titel", max_length=200)
    text = models.TextField("Text")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Textbaustein"
        verbose_name_plural = "Textbausteine"
        ordering = ["titel"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="outbox_textbaustein_uniq"),
        ]

    def __str__(self) -> str:
        return self.titel


class Vorlage(TenantOwned):
    """A letter template. Its text lives in versions; ``aktuelle_version`` is the one new
    letters use (empty until a version without errors is published)."""

    class Art(models.TextChoices):
        BRIEF = "brief", "Schreiben"
        BESCHEID = "bescheid", "Bescheid"

    class Form(models.TextChoices):
        A = "A", "Form A (hochgestelltes Anschriftfeld)"
        B = "B", "Form B (tiefgestelltes Anschriftfeld)"

    code = models.SlugField("Kürzel", max_length=60)
    titel = models.CharField("Titel", max_length=200)
    art = models.CharField("Art", max_length=10, choices=Art.choices, default=Art.BRIEF)
    module = models.CharField("Fachbereich", max_length=20, blank=True)  # records.Module
    form = models.CharField("Form", max_length=1, choices=Form.choices, default=Form.B)
    # Four-eyes release: always (``vier_augen`` and no amount), from an amount on, or never.
    vier_augen = models.BooleanField("Vier-Augen-Freigabe", default=False)
    vier_augen_ab = models.DecimalField(
        "Vier-Augen-Freigabe ab Betrag (EUR)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    aktuelle_version = models.ForeignKey(
        "VorlagenVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Vorlage"
        verbose_name_plural = "Vorlagen"
        ordering = ["titel"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="outbox_vorlage_uniq"),
            # An amount only with four eyes, and never below zero.
            models.CheckConstraint(
                condition=models.Q(vier_augen_ab__isnull=True)
                | models.Q(vier_augen=True, vier_augen_ab__gte=0),
                name="outbox_vorlage_vier_augen_ab",
            ),
        ]

    def __str__(self) -> str:
        return self.titel


class VorlagenVersion(TenantOwned):
    """One version of a template, immutable once it exists. ``text`` is what the admin
    wrote; ``text_satz`` the same with text blocks expanded and placeholders turned into
    ``#wert("…")`` calls, the body the typesetting receives (``outbox.satz``).
    ``felder`` are the values the writer enters per letter (an amount, a date), each
    ``{"key", "label", "typ"}``."""

    vorlage = models.ForeignKey(Vorlage, on_delete=models.PROTECT, related_name="versionen")
    nummer = models.PositiveIntegerField()
    betreff = models.CharField("Betreff", max_length=300)
    text = models.TextField("Text")
    text_satz = models.TextField()
    anlagen = models.JSONField("Anlagen", default=list, blank=True)
    felder = models.JSONField("Eingabefelder", default=list, blank=True)
    bausteine = models.JSONField(default=list, blank=True)  # codes expanded into text_satz
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Vorlagenversion"
        verbose_name_plural = "Vorlagenversionen"
        ordering = ["vorlage", "-nummer"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "vorlage", "nummer"], name="outbox_vorlagenversion_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vorlage} (Version {self.nummer})"


class Brief(TenantOwned):
    """One letter. ``status`` only moves forward (``RANG``), so a provider's report that
    arrives late or twice never takes a letter back. The PDF of a released letter is the
    filed Dokument's version; a draft has none. Its body is its version's ``text_satz``
    (versions are immutable), with the writer's ``eingaben`` as values."""

    class Status(models.TextChoices):
        ENTWURF = "entwurf", "Entwurf"
        ZUR_FREIGABE = "zur_freigabe", "wartet auf Freigabe"
        FREIGEGEBEN = "freigegeben", "freigegeben"
        BEREITGESTELLT = "bereitgestellt", "im Postfach bereitgestellt"
        IM_STAPEL = "im_stapel", "im Versandstapel"
        ABGEHOLT = "abgeholt", "vom Druckdienst abgeholt"
        EMPFANGEN = "empfangen", "beim Druckdienst eingegangen"
        GEDRUCKT = "gedruckt", "gedruckt"
        VERSENDET = "versendet", "zur Post gegeben"
        AUSGEHAENDIGT = "ausgehaendigt", "persönlich ausgehändigt"
        ABGERUFEN = "abgerufen", "im Postfach abgerufen"
        UNZUSTELLBAR = "unzustellbar", "unzustellbar zurück"
        VERWORFEN = "verworfen", "verworfen"

    class Kanal(models.TextChoices):
        HYBRID = "hybrid", "Hybridpost (Druckdienstleister)"
        LOKAL = "lokal", "selbst drucken"
        PERSOENLICH = "persoenlich", "persönlich aushändigen"
        PORTAL = "portal", "Bürgerpostfach"

    class Einschreiben(models.TextChoices):
        KEINS = "", "kein Einschreiben"
        EINWURF = "einwurf", "Einschreiben Einwurf"
        RUECKSCHEIN = "rueckschein", "Einschreiben mit Rückschein"
        EIGENHAENDIG = "eigenhaendig", "Einschreiben eigenhändig"

    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    vorgang = models.ForeignKey(
        "records.Vorgang", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(VorlagenVersion, on_delete=models.PROTECT, related_name="+")
    empfaenger = models.ForeignKey(
        "records.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"namen": [lines], "strasse": "", "ort": "PLZ Ort", "land": ""} (outbox.satz.Anschrift)
    anschrift = models.JSONField("Anschrift", default=dict)
    betreff = models.CharField("Betreff", max_length=300)
    eingaben = models.JSONField(default=dict, blank=True)  # values of the version's felder
    betrag = models.DecimalField(
        "Betrag (EUR)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    kanal = models.CharField(max_length=12, choices=Kanal.choices, default=Kanal.HYBRID)
    einschreiben = models.CharField(
        max_length=12, choices=Einschreiben.choices, default=Einschreiben.KEINS, blank=True
    )
    duplex = models.BooleanField(default=True)
    farbe = models.BooleanField(default=False)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.ENTWURF)
    seiten = models.PositiveIntegerField(default=0)
    portoklasse = models.CharField(max_length=20, blank=True)
    befunde = models.JSONField(default=list, blank=True)  # the last check's findings
    dokument = models.ForeignKey(
        "records.Dokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    briefdatum = models.DateField("Datum", null=True, blank=True)
    versendet_am = models.DateField("zur Post gegeben am", null=True, blank=True)
    bekanntgabe_am = models.DateField("Bekanntgabe am", null=True, blank=True)
    # The citizen's mailbox (kanal portal, § 37 Abs. 2a SGB X, ``outbox.postfach``): made
    # available at release, the e-mail notice sent (the ten days run from it), the first
    # retrieval and by whom (a citizen's account is no User: its label), or the provision
    # ended (the letter went on paper).
    bereitgestellt_am = models.DateTimeField("im Postfach bereitgestellt am", null=True, blank=True)
    benachrichtigt_am = models.DateTimeField("benachrichtigt am", null=True, blank=True)
    abgerufen_am = models.DateTimeField("abgerufen am", null=True, blank=True)
    abgerufen_von = models.CharField("abgerufen von", max_length=200, blank=True)
    bereitstellung_beendet_am = models.DateTimeField(
        "Bereitstellung beendet am", null=True, blank=True
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()
    freigabe_angefordert_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    freigegeben_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    freigegeben_at = models.DateTimeField(null=True, blank=True)
    serienbrief = models.ForeignKey(
        "Serienbrief", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # How far along a letter is; a status never replaces one of a higher rank. Returned
    # mail outranks everything: it can come back after the provider said "posted".
    RANG = {
        "entwurf": 0,
        "zur_freigabe": 1,
        "freigegeben": 2,
        "bereitgestellt": 2,  # released into the mailbox; on paper again it is "freigegeben"
        "im_stapel": 3,
        "abgeholt": 4,
        "empfangen": 5,
        "gedruckt": 6,
        "versendet": 7,
        "ausgehaendigt": 7,
        "abgerufen": 7,
        "unzustellbar": 8,
        "verworfen": 9,
    }

    class Meta:
        verbose_name = "Brief"
        verbose_name_plural = "Briefe"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "entwurf",
                        "zur_freigabe",
                        "freigegeben",
                        "bereitgestellt",
                        "im_stapel",
                        "abgeholt",
                        "empfangen",
                        "gedruckt",
                        "versendet",
                        "ausgehaendigt",
                        "abgerufen",
                        "unzustellbar",
                        "verworfen",
                    ]
                ),
                name="outbox_brief_status_valid",
            ),
            models.UniqueConstraint(
                fields=["tenant", "serienbrief", "akte"],
                name="outbox_brief_serie_uniq",
                condition=models.Q(serienbrief__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "akte", "created_at"], name="outbox_brief_akte"),
            models.Index(fields=["tenant", "status", "updated_at"], name="outbox_brief_status"),
        ]

    def __str__(self) -> str:
        return self.betreff

    @property
    def is_draft(self) -> bool:
        return self.status in (self.Status.ENTWURF, self.Status.ZUR_FREIGABE)


class BriefEreignis(TenantOwned):
    """One step in a letter's life, the timeline shown in its Vorgang. ``key`` makes a
    report unique (a provider's callback sent twice, a scan processed twice, is recorded
    once)."""

    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="ereignisse")
    key = models.CharField(max_length=120)
    status = models.CharField(max_length=14, choices=Brief.Status.choices)
    at = models.DateTimeField()  # when it happened (as reported)
    recorded_at = models.DateTimeField()  # when koffer learnt of it
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    # Returned mail found in the Posteingang (key ``posteingang:<Eingangsdokument>``): the
    # scan, filed as an incoming Dokument in the letter's Akte.
    dokument = models.ForeignKey(
        "records.Dokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Briefereignis"
        verbose_name_plural = "Briefereignisse"
        ordering = ["at", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "brief", "key"], name="outbox_briefereignis_key_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.at:%d.%m.%Y})"


class Serienbrief(TenantOwned):
    """One template sent to many Akten (hearings, reminders), as the background job
    ``outbox.serienbrief``: ``akten`` is the selection as it was when started (ids, in
    order); each letter is made, checked and released in its own Akte by the person who
    started it, and an Akte where that fails is a :class:`SerienbriefFehler` with the
    reason. ``Brief.serienbrief`` with the unique (serienbrief, akte) makes a job that is
    run again after a crash write no letter twice."""

    class Status(models.TextChoices):
        WARTET = "wartet", "wartet"
        LAEUFT = "laeuft", "läuft"
        FERTIG = "fertig", "fertig"
        FEHLGESCHLAGEN = "fehlgeschlagen", "fehlgeschlagen"

    vorlage = models.ForeignKey(Vorlage, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(VorlagenVersion, on_delete=models.PROTECT, related_name="+")
    titel = models.CharField("Bezeichnung", max_length=200)
    eingaben = models.JSONField(default=dict, blank=True)  # the same for every letter
    kanal = models.CharField(max_length=12, choices=Brief.Kanal.choices, default="hybrid")
    akten = models.JSONField(default=list)  # Akte ids as text, in order
    auswahl = models.CharField("Auswahl", max_length=300)  # how they were chosen, in words
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WARTET)
    erstellt = models.PositiveIntegerField(default=0)
    zur_freigabe = models.PositiveIntegerField(default=0)
    fehler = models.PositiveIntegerField(default=0)
    job_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Serienbrief"
        verbose_name_plural = "Serienbriefe"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.titel


class SerienbriefFehler(TenantOwned):
    """An Akte of a serial letter for which no letter could be made, and why."""

    serienbrief = models.ForeignKey(Serienbrief, on_delete=models.CASCADE, related_name="+")
    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    aktenzeichen = models.CharField(max_length=80)
    grund = models.TextField()

    class Meta:
        verbose_name = "Serienbrief-Fehler"
        verbose_name_plural = "Serienbrief-Fehler"
        ordering = ["aktenzeichen"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "serienbrief", "akte"], name="outbox_serienfehler_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.aktenzeichen}: {self.grund}"


# --- Versand: print providers, cut-offs, batches (``outbox.versand``) -------------------------


class Druckdienst(TenantOwned):
    """A print provider the Mandant sends hybrid mail to: its machine account
    (``druckdienst`` role) fetches batches and reports statuses. ``rang`` orders the
    providers: a new batch goes to the first active one; a batch it does not confirm within
    ``bestaetigung_minuten`` is taken over by the next. ``kanal``: the provider fetches
    over the API, or works through a drop folder (``ordner``)."""

    class Kanal(models.TextChoices):
        API = "api", "API"
        ABLAGE = "ablage", "Ablageordner"

    konto = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("Name", max_length=120)
    rang = models.PositiveSmallIntegerField("Reihenfolge")
    bestaetigung_minuten = models.PositiveIntegerField(
        "Bestätigung spätestens nach (Minuten)", default=240
    )
    is_active = models.BooleanField("aktiv", default=True)
    kanal = models.CharField("Übergabe", max_length=8, choices=Kanal.choices, default=Kanal.API)
    # The drop folder, relative to ``KOFFER_ABLAGE_ROOT`` (``versand.ablage``).
    ordner = models.CharField("Ablageordner", max_length=200, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Druckdienst"
        verbose_name_plural = "Druckdienste"
        ordering = ["rang"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "konto"], name="outbox_druckdienst_konto"),
            models.UniqueConstraint(fields=["tenant", "rang"], name="outbox_druckdienst_rang"),
            models.CheckConstraint(
                condition=models.Q(kanal="api") | (models.Q(kanal="ablage") & ~models.Q(ordner="")),
                name="outbox_druckdienst_kanal_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Versandregeln(TenantOwned):
    """The Mandant's dispatch rules: the cut-off times of hybrid mail (local times
    "HH:MM") and, per letter status, after how many hours a letter still in it is an
    alarm on the mail-room page."""

    annahmeschluss = models.JSONField(default=list)
    alarm_stunden = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Versandregeln"
        verbose_name_plural = "Versandregeln"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="outbox_versandregeln_uniq"),
        ]

    def __str__(self) -> str:
        return ", ".join(self.annahmeschluss)


class Versandstapel(TenantOwned):
    """The letters of one cut-off for one provider, as a ZIP of their PDFs and a
    ``manifest.json``. ``offen``: letters assigned, the ZIP not yet stored; ``bereit``:
    waiting for the provider; ``uebernommen``: the next provider took it over
    (``nachfolger``), it is refused from then on."""

    class Status(models.TextChoices):
        OFFEN = "offen", "wird gepackt"
        BEREIT = "bereit", "wartet auf Abholung"
        ABGEHOLT = "abgeholt", "abgeholt"
        BESTAETIGT = "bestaetigt", "Empfang bestätigt"
        UEBERNOMMEN = "uebernommen", "von anderem Druckdienst übernommen"

    nummer = models.CharField("Nummer", max_length=30)
    druckdienst = models.ForeignKey(Druckdienst, on_delete=models.PROTECT, related_name="+")
    schluss = models.DateTimeField("Annahmeschluss")
    vorgaenger = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="nachfolger"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFEN)
    briefe_anzahl = models.PositiveIntegerField(default=0)
    zip_sha256 = models.CharField(max_length=64, blank=True)
    zip_size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()
    bereit_at = models.DateTimeField(null=True, blank=True)
    abgeholt_at = models.DateTimeField(null=True, blank=True)
    bestaetigt_at = models.DateTimeField(null=True, blank=True)
    uebernommen_at = models.DateTimeField(null=True, blank=True)
    # When the ZIP was put into the provider's drop folder (a provider with one only).
    abgelegt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Versandstapel"
        verbose_name_plural = "Versandstapel"
        ordering = ["-created_at"]
        constraints = [
            # One first batch per cut-off: two workers at the same cut-off make one.
            models.UniqueConstraint(
                fields=["tenant", "schluss"],
                condition=models.Q(vorgaenger__isnull=True),
                name="outbox_versandstapel_schluss",
            ),
            models.UniqueConstraint(
                fields=["tenant", "schluss", "druckdienst"], name="outbox_versandstapel_dienst"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["offen", "bereit", "abgeholt", "bestaetigt", "uebernommen"]
                ),
                name="outbox_versandstapel_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="outbox_stapel_status"),
        ]

    def __str__(self) -> str:
        return f"Versandstapel {self.nummer}"


class Stapelbrief(TenantOwned):
    """A letter in a batch. ``aktiv`` is false once the batch was taken over; a letter is
    in at most one active batch (the database holds it), so it is never printed twice."""

    stapel = models.ForeignKey(Versandstapel, on_delete=models.PROTECT, related_name="briefe")
    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    dateiname = models.CharField(max_length=80)
    aktiv = models.BooleanField(default=True)

    class Meta:
        verbose_name = "Brief im Versandstapel"
        verbose_name_plural = "Briefe in Versandstapeln"
        ordering = ["stapel", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "brief"],
                condition=models.Q(aktiv=True),
                name="outbox_stapelbrief_einmal",
            ),
            models.UniqueConstraint(
                fields=["tenant", "stapel", "brief"], name="outbox_stapelbrief_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.dateiname


class Zustellung(TenantOwned):
    """What the dispatch of one letter set in motion: the objection deadline its
    Bekanntgabe started (a Bescheid with a Vorgang), the returned mail's reason and the
    Wiedervorlage it made."""

    brief = models.OneToOneField(Brief, on_delete=models.PROTECT, related_name="zustellung")
    widerspruchsfrist = models.ForeignKey(
        "records.Frist", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unzustellbar_grund = models.CharField(max_length=500, blank=True)
    wiedervorlage = models.ForeignKey(
        "records.Wiedervorlage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Zustellung"
        verbose_name_plural = "Zustellungen"

    def __str__(self) -> str:
        return str(self.brief_id)


class Ablagefehler(TenantOwned):
    """A file from a provider's drop folder that could not be read, or whose reports
    failed: kept in ``fehler/`` as ``datei`` with ``<datei>.fehler.txt``, shown on the
    mail-room page until someone has it read again (``erledigt_at``)."""

    druckdienst = models.ForeignKey(Druckdienst, on_delete=models.PROTECT, related_name="+")
    datei = models.CharField("Datei", max_length=255)
    # The name the provider gave it (``datei`` may carry a number: an earlier file of the
    # same name is kept too); read again under this name, a receipt still names its batch.
    name = models.CharField("Name beim Druckdienst", max_length=255)
    grund = models.TextField("Grund")
    created_at = models.DateTimeField()
    erledigt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Fehlerhafte Datei im Ablageordner"
        verbose_name_plural = "Fehlerhafte Dateien in Ablageordnern"
        ordering = ["-created_at"]
        constraints = [
            # One open entry per kept file: two workers refusing it record it once.
            models.UniqueConstraint(
                fields=["tenant", "druckdienst", "datei"],
                condition=models.Q(erledigt_at__isnull=True),
                name="outbox_ablagefehler_offen",
            ),
        ]

    def __str__(self) -> str:
        return self.datei


# --- Lokaldruck: printers of the office, a letter printed on one (``outbox.lokaldruck``) ------


class Drucker(TenantOwned):
    """A printer of the office that koffer sends letters to over IPP (``ipp://`` or
    ``ipps://``, never with credentials in the address). ``unit`` empty: for the whole
    Mandant; else for the people of that unit and the units below it."""

    unit = models.ForeignKey(
        "tenancy.Organisationseinheit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField("Name", max_length=120)
    uri = models.CharField("IPP-Adresse", max_length=500)
    duplex = models.BooleanField("beidseitig", default=True)
    is_active = models.BooleanField("aktiv", default=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Drucker"
        verbose_name_plural = "Drucker"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="outbox_drucker_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Druckauftrag(TenantOwned):
    """One print of a letter — or of another filed Dokument, such as a submitted form
    printed on a Koffer's printer (``brief`` empty, ``dokument`` set) — on a
    :class:`Drucker`, as the background job
    ``outbox.lokaldruck``: the filed PDF sent by IPP Print-Job, then watched until the
    printer's job ended. ``versuch`` counts the sends: a retry after the printer
    definitely did not print sends again (a new ``versuch``), a retry after a timeout
    only asks again about the job already sent. A letter has at most one print running
    (the database holds it); a second print of a printed letter is ``nochmals`` with a
    ``grund``."""

    class Status(models.TextChoices):
        WARTET = "wartet", "wartet"
        LAEUFT = "laeuft", "wird gedruckt"
        GEDRUCKT = "gedruckt", "gedruckt"
        FEHLGESCHLAGEN = "fehlgeschlagen", "fehlgeschlagen"

    brief = models.ForeignKey(
        Brief, null=True, blank=True, on_delete=models.PROTECT, related_name="druckauftraege"
    )
    # A filed Dokument printed as it is (not a letter): exactly one of brief and dokument.
    dokument = models.ForeignKey(
        "records.Dokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    drucker = models.ForeignKey(Drucker, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WARTET)
    nochmals = models.BooleanField(default=False)
    grund = models.CharField(max_length=500, blank=True)
    versuch = models.PositiveIntegerField(default=1)
    job_id = models.UUIDField(null=True, blank=True)
    ipp_job_id = models.IntegerField(null=True, blank=True)
    ipp_versuch = models.PositiveIntegerField(default=0)  # the send ipp_job_id belongs to
    # Before the send of ``ipp_vorher_versuch``: the highest id among the user's jobs the
    # printer listed (0: none). A job of this name above it is that send's, found again
    # when the worker died between the printer's answer and recording it.
    ipp_vorher = models.IntegerField(null=True, blank=True)
    ipp_vorher_versuch = models.PositiveIntegerField(default=0)
    ipp_state = models.PositiveSmallIntegerField(null=True, blank=True)
    meldung = models.CharField(max_length=500, blank=True)  # German, for the letter's page
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Druckauftrag"
        verbose_name_plural = "Druckaufträge"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "brief"],
                condition=models.Q(status__in=["wartet", "laeuft"]),
                name="outbox_druckauftrag_einer",
            ),
            models.UniqueConstraint(
                fields=["tenant", "dokument"],
                condition=models.Q(status__in=["wartet", "laeuft"]),
                name="outbox_druckauftrag_dokument_einer",
            ),
            models.CheckConstraint(
                condition=models.Q(brief__isnull=False, dokument__isnull=True)
                | models.Q(brief__isnull=True, dokument__isnull=False),
                name="outbox_druckauftrag_brief_oder_dokument",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["wartet", "laeuft", "gedruckt", "fehlgeschlagen"]),
                name="outbox_druckauftrag_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brief or self.dokument} auf {self.drucker}"
