"""E-Akte: Aktenplan, Akten with their subjects, Vorgänge, Fristen, Wiedervorlagen and
Dokumente with immutable versions. Document bytes live in the blob store, never here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from koffer import formats
from koffer.identifiers import validate_bic, validate_iban, validate_kundennummer
from koffer.kontakt import validate_email, validate_telefon
from koffer.tenancy.scoping import TenantOwned


class Module(models.TextChoices):
    SGB2 = "sgb2", "Grundsicherung (SGB II)"
    SGB8 = "sgb8", "Kinder- und Jugendhilfe (SGB VIII)"
    SGB9 = "sgb9", "Schwerbehindertenrecht (SGB IX)"
    SGB12 = "sgb12", "Sozialhilfe (SGB XII)"
    IFSG = "ifsg", "Infektionsschutz (IfSG)"
    ALLGEMEIN = "allgemein", "Allgemeine Verwaltung"


class AccessLevel(models.TextChoices):
    NORMAL = "normal", "Normal (zuständige Organisationseinheit)"
    RESTRICTED = "restricted", "Eingeschränkt (nur benannte Personen)"


class Aktenplaneinheit(TenantOwned):
    """One node of the filing plan; carries the retention rules and the Aktenzeichen pattern."""

    class ArchiveValue(models.TextChoices):
        ARCHIVE = "A", "archivwürdig"
        ASSESS = "B", "bewerten"
        DESTROY = "V", "vernichten"

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kennzeichen = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    module = models.CharField(max_length=20, choices=Module.choices, default=Module.ALLGEMEIN)
    retention_years = models.PositiveSmallIntegerField(default=10)
    archive_value = models.CharField(
        max_length=1, choices=ArchiveValue.choices, default=ArchiveValue.ASSESS
    )
    default_access = models.CharField(
        max_length=12, choices=AccessLevel.choices, default=AccessLevel.NORMAL
    )
    aktenzeichen_pattern = models.CharField(max_length=80, default="{kennzeichen}-{jahr}-{lfd:05}")
    path = models.CharField(max_length=1200, db_index=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "Aktenplaneinheit"
        verbose_name_plural = "Aktenplaneinheiten"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kennzeichen"], name="aktenplan_kennzeichen_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kennzeichen} {self.title}"


class Person(TenantOwned):
    family_name = models.CharField("Familienname", max_length=120)
    given_names = models.CharField("Vornamen", max_length=200, blank=True)
    birth_name = models.CharField("Geburtsname", max_length=120, blank=True)
    birth_date = models.DateField("Geburtsdatum", null=True, blank=True)
    street = models.CharField("Straße und Hausnummer", max_length=200, blank=True)
    postal_code = models.CharField("PLZ", max_length=10, blank=True)
    city = models.CharField("Ort", max_length=120, blank=True)
    # The Jobcenter's customer number (``123D456789``), printed on its notices: the
    # Posteingang finds the person by it (index with the tenant).
    kundennummer = models.CharField(
        "Kundennummer", max_length=10, blank=True, validators=[validate_kundennummer]
    )
    geburtsort = models.CharField("Geburtsort", max_length=120, blank=True)
    # As official forms ask it, in words ("deutsch", "türkisch", "staatenlos").
    staatsangehoerigkeit = models.CharField("Staatsangehörigkeit", max_length=80, blank=True)
    telefon = models.CharField("Telefon", max_length=25, blank=True, validators=[validate_telefon])
    email = models.CharField("E-Mail", max_length=254, blank=True, validators=[validate_email])
    # The account benefits are paid to: the IBAN in electronic form (no spaces, capitals).
    iban = models.CharField("IBAN", max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField("BIC", max_length=11, blank=True, validators=[validate_bic])
    # Blank: the account is the person's own.
    kontoinhaber = models.CharField("Kontoinhaber/in", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Person"
        verbose_name_plural = "Personen"
        indexes = [
            models.Index(fields=["tenant", "family_name", "given_names"], name="person_name_idx"),
            models.Index(fields=["tenant", "birth_date"], name="person_birth_idx"),
            models.Index(fields=["tenant", "kundennummer"], name="person_kundennummer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_names}".strip(", ")

    @property
    def iban_lesbar(self) -> str:
        """The IBAN as people read it, in groups of four."""
        return formats.iban(self.iban)


class Bedarfsgemeinschaft(TenantOwned):
    """SGB II household unit, identified by its BG-Nummer."""

    bg_nummer = models.CharField("BG-Nummer", max_length=30)
    members = models.ManyToManyField(
        Person, through="BgMitglied", related_name="bedarfsgemeinschaften"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Bedarfsgemeinschaft"
        verbose_name_plural = "Bedarfsgemeinschaften"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "bg_nummer"], name="bg_nummer_uniq")
        ]

    def __str__(self) -> str:
        return f"BG {self.bg_nummer}"


class BgMitglied(TenantOwned):
    class Rolle(models.TextChoices):
        ANTRAGSTELLER = "antragsteller", "Antragsteller/in"
        PARTNER = "partner", "Partner/in"
        KIND = "kind", "Kind"
        SONSTIGE = "sonstige", "Sonstige Person"

    bg = models.ForeignKey(Bedarfsgemeinschaft, on_delete=models.CASCADE, related_name="mitglieder")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    rolle = models.CharField(max_length=20, choices=Rolle.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bg", "person"], name="bg_person_uniq")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_rolle_display()})"


class Akte(TenantOwned):
    class Status(models.TextChoices):
        OPEN = "open", "offen"
        CLOSED = "closed", "geschlossen"
        HANDED_OVER = "handed_over", "abgegeben"

    aktenplaneinheit = models.ForeignKey(
        Aktenplaneinheit, on_delete=models.PROTECT, related_name="akten"
    )
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )
    # Copy of unit.path: the permission filter is one indexed prefix match, no join.
    unit_path = models.CharField(max_length=1200)
    aktenzeichen = models.CharField(max_length=80)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    access_level = models.CharField(
        max_length=12, choices=AccessLevel.choices, default=AccessLevel.NORMAL
    )
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bg = models.ForeignKey(
        Bedarfsgemeinschaft, null=True, blank=True, on_delete=models.PROTECT, related_name="akten"
    )
    subjects = models.ManyToManyField(Person, through="AkteSubjekt", related_name="akten")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    retention_until = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Akte"
        verbose_name_plural = "Akten"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "aktenzeichen"], name="akte_aktenzeichen_uniq"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False), name="akte_closed_has_date"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "caseworker", "status", "-updated_at"], name="akte_mine_idx"
            ),
            models.Index(fields=["tenant", "unit_path"], name="akte_unit_path_idx"),
            models.Index(fields=["tenant", "-updated_at"], name="akte_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.aktenzeichen} {self.title}"


class AkteSubjekt(TenantOwned):
    akte = models.ForeignKey(Akte, on_delete=models.CASCADE, related_name="subjekte")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    rolle = models.CharField(max_length=40, default="betroffen")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["akte", "person"], name="akte_person_uniq")]

    def __str__(self) -> str:
        return f"{self.person} in {self.akte_id}"


class AkteZugriff(TenantOwned):
    """Named users of a restricted Akte."""

    akte = models.ForeignKey(Akte, on_delete=models.CASCADE, related_name="zugriffe")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["akte", "user"], name="akte_zugriff_uniq")]
        indexes = [models.Index(fields=["tenant", "user"], name="akte_zugriff_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} darf {self.akte_id}"


class VorgangTyp(TenantOwned):
    """Configurable per module: Antrag, Weiterbewilligung, Widerspruch, Klage, ..."""

    module = models.CharField(max_length=20, choices=Module.choices)
    code = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "module", "code"], name="vorgangtyp_uniq")
        ]
        ordering = ["module", "label"]

    def __str__(self) -> str:
        return self.label


class Vorgang(TenantOwned):
    class Status(models.TextChoices):
        OPEN = "open", "in Bearbeitung"
        WAITING = "waiting", "wartet"
        DONE = "done", "erledigt"

    class Ergebnis(models.TextChoices):
        """How an application ended, recorded when the Vorgang is closed (the citizen
        sees it in the Online-Dienste)."""

        BEWILLIGT = "bewilligt", "bewilligt"
        TEILWEISE = "teilweise", "teilweise bewilligt"
        ABGELEHNT = "abgelehnt", "abgelehnt"
        ZURUECKGENOMMEN = "zurueckgenommen", "zurückgenommen"

    akte = models.ForeignKey(Akte, on_delete=models.PROTECT, related_name="vorgaenge")
    typ = models.ForeignKey(VorgangTyp, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The outcome and the date of its Bescheid, only while the Vorgang is done.
    ergebnis = models.CharField(
        "Ergebnis", max_length=20, choices=Ergebnis.choices, blank=True, default=""
    )
    bescheid_am = models.DateField("Bescheid vom", null=True, blank=True)

    class Meta:
        verbose_name = "Vorgang"
        verbose_name_plural = "Vorgänge"
        indexes = [models.Index(fields=["tenant", "akte", "opened_at"], name="vorgang_akte_idx")]

    def __str__(self) -> str:
        return self.title


class VorgangSchritt(TenantOwned):
    """The Vorgang's history: every step, in order."""

    vorgang = models.ForeignKey(Vorgang, on_delete=models.CASCADE, related_name="schritte")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.at:%d.%m.%Y} {self.action}"


class FristRegel(TenantOwned):
    """A configurable deadline rule, e.g. the objection deadline: notification by the
    rule of § 37 Abs. 2 SGB X (posting date + 4 days), then one month (§ 84 SGG)."""

    code = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    notification_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="Tage von der Aufgabe zur Post bis zur Bekanntgabe (0: Datum ist schon die Bekanntgabe)",
    )
    months = models.PositiveSmallIntegerField(default=0)
    days = models.PositiveSmallIntegerField(default=0)
    shift_to_workday = models.BooleanField(
        default=True, help_text="§ 26 Abs. 3 SGB X / § 64 Abs. 3 SGG"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="fristregel_uniq")]

    def __str__(self) -> str:
        return self.label


class Frist(TenantOwned):
    vorgang = models.ForeignKey(Vorgang, on_delete=models.CASCADE, related_name="fristen")
    regel = models.ForeignKey(
        FristRegel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=200)
    base_date = models.DateField()
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "due_date"], name="frist_due_idx")]

    def __str__(self) -> str:
        return f"{self.label} bis {self.due_date:%d.%m.%Y}"


class Wiedervorlage(TenantOwned):
    akte = models.ForeignKey(Akte, on_delete=models.CASCADE, related_name="wiedervorlagen")
    vorgang = models.ForeignKey(
        Vorgang, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    dokument = models.ForeignKey(
        "Dokument", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "assignee", "due_date"], name="wv_assignee_idx"),
            models.Index(fields=["tenant", "unit", "due_date"], name="wv_unit_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=False) | Q(unit__isnull=False), name="wv_has_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"Wiedervorlage {self.due_date:%d.%m.%Y}"


class Dokument(TenantOwned):
    class Direction(models.TextChoices):
        INCOMING = "in", "eingehend"
        OUTGOING = "out", "ausgehend"
        INTERNAL = "internal", "intern"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Hochgeladen"
        SCAN = "scan", "Scan"
        LETTER = "letter", "Brief (Postausgang)"
        PORTAL = "portal", "Bürgerportal"
        FORM = "form", "Formular"

    class Status(models.TextChoices):
        ACTIVE = "active", "gültig"
        CANCELLED = "cancelled", "storniert"

    akte = models.ForeignKey(Akte, on_delete=models.PROTECT, related_name="dokumente")
    vorgang = models.ForeignKey(
        Vorgang, null=True, blank=True, on_delete=models.PROTECT, related_name="dokumente"
    )
    title = models.CharField(max_length=300)
    kind = models.CharField("Dokumentart", max_length=60, default="Schreiben")
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INCOMING
    )
    sender = models.CharField("Absender", max_length=200, blank=True)
    received_on = models.DateField("Eingangsdatum", null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    cancel_reason = models.CharField(max_length=500, blank=True)
    current_version = models.ForeignKey(
        "DokumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    needs_ocr = models.BooleanField(default=False)
    page_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Dokument"
        verbose_name_plural = "Dokumente"
        indexes = [
            models.Index(fields=["tenant", "akte", "created_at"], name="dokument_akte_idx"),
            models.Index(fields=["tenant", "kind", "received_on"], name="dokument_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class DokumentVersion(TenantOwned):
    """Immutable: a change to a document is a new version."""

    dokument = models.ForeignKey(Dokument, on_delete=models.PROTECT, related_name="versionen")
    number = models.PositiveIntegerField()
    filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Office/ODF originals are kept; their PDF rendering is a second blob.
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(default=0)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    # The client's idempotency key of the upload that brought these bytes (API header
    # Idempotency-Key, or the upload form's token): a retried request finds what it
    # already stored instead of storing it again.
    upload_key = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dokument", "number"], name="dokversion_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "upload_key", "sha256"],
                condition=~models.Q(upload_key=""),
                name="dokversion_upload_key_uniq",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "sha256"], name="dokversion_sha_idx")]

    def __str__(self) -> str:
        return f"{self.filename} v{self.number}"


class Aktenauszug(TenantOwned):
    """A paginated extract of an Akte, e.g. for the Sozialgericht: one PDF built in the
    background from a fixed selection of document versions (pinned when it was ordered,
    so a later upload does not change what is sent). The PDF lives in the blob store."""

    class Status(models.TextChoices):
        WAITING = "waiting", "wartet"
        BUILDING = "building", "wird erstellt"
        DONE = "done", "fertig"
        FAILED = "failed", "fehlgeschlagen"

    class Pdfa(models.TextChoices):
        BEST_EFFORT = "best_effort", "PDF/A-2b (von koffer geprüft, nicht mit veraPDF)"
        VALIDATED = "validated", "PDF/A-2b, mit veraPDF geprüft"
        DEVIATIONS = "deviations", "PDF/A-2b nach bestem Bemühen (veraPDF meldet Abweichungen)"
        # A document failed koffer's PDF/A check and could not be converted: the file
        # makes no PDF/A claim, its cover says why.
        NONE = "none", "kein PDF/A (ein Dokument ist nicht PDF/A-tauglich)"

    akte = models.ForeignKey(Akte, on_delete=models.PROTECT, related_name="auszuege")
    purpose = models.CharField("Zweck", max_length=300)
    # What was chosen (whole Akte, Vorgänge, documents) and the pinned versions, in order.
    selection = models.JSONField(default=dict)
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    sheet_count = models.PositiveIntegerField("Blattzahl", default=0)
    page_count = models.PositiveIntegerField(default=0)  # sheets plus cover and contents
    document_count = models.PositiveIntegerField(default=0)
    # The table of contents as built: title, kind, date, sheets or the reason for leaving out.
    contents = models.JSONField(default=list, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    pdfa = models.CharField(max_length=12, choices=Pdfa.choices, default=Pdfa.BEST_EFFORT)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Aktenauszug"
        verbose_name_plural = "Aktenauszüge"
        indexes = [
            models.Index(fields=["tenant", "akte", "-created_at"], name="auszug_akte_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(sha256=""), name="auszug_done_has_pdf"
            ),
        ]

    def __str__(self) -> str:
        return f"Aktenauszug vom {self.created_at:%d.%m.%Y %H:%M}"


class Akteneinsicht(TenantOwned):
    """A time-limited, read-only link for a court or a lawyer to one Aktenauszug. The link
    token and the 6-digit PIN are shown once and stored only as hashes; the link expires,
    can be revoked, and locks after too many wrong PINs."""

    auszug = models.ForeignKey(Aktenauszug, on_delete=models.PROTECT, related_name="einsichten")
    recipient = models.CharField("Empfänger", max_length=200)
    # SHA-256 of the link token (256 random bits): looked up before the Mandant is known.
    token_digest = models.CharField(max_length=64, unique=True)
    pin_hash = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failed_pins = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    access_count = models.PositiveIntegerField(default=0)
    last_access_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "Akteneinsicht"
        verbose_name_plural = "Akteneinsichten"
        indexes = [
            models.Index(fields=["tenant", "auszug", "-created_at"], name="einsicht_auszug_idx"),
        ]

    def __str__(self) -> str:
        return f"Akteneinsicht für {self.recipient}"


class PendingBlob(TenantOwned):
    """A blob written for a document before the document's transaction: the row is
    committed before the blob is stored and deleted inside the document's transaction.
    A row that remains means the transaction never committed (an error, a crash), so the
    blob may be unreferenced; blob_ledger removes it. ``claimed``: this upload created
    the blob (it was not stored before), so it may remove it again."""

    sha256 = models.CharField(max_length=64)
    claimed = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["sha256"], name="pendingblob_sha_idx"),
            models.Index(fields=["created_at"], name="pendingblob_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… seit {self.created_at:%d.%m.%Y %H:%M}"
