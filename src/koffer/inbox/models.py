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
        # A submission of another OZG portal received through FIT-Connect (no paper).
        FITCONNECT = "fitconnect", "FIT-Connect"
        # An application a citizen submitted in the Online-Dienste (no paper).
        PORTAL = "portal", "Online-Dienste"

    class Art(models.TextChoices):
        POST = "post", "Posteingang"
        RUECKSCAN = "rueckscan", "Rückscan"
        # Returned mail only (Rückläufer, the Post's sticker on the envelope): every
        # document is taken as returned mail; otherwise processed like ``post``.
        RUECKPOST = "rueckpost", "Rückläufer"

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
    # The Lieferschein's "art": incoming post, or paper files scanned in bulk (Rückscan),
    # each starting with its Deckblatt.
    art = models.CharField(max_length=10, choices=Art.choices, default=Art.POST)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ANGENOMMEN)
    job_id = models.UUIDField(null=True, blank=True)  # the verification job
    processing_job_id = models.UUIDField(null=True, blank=True)  # the pipeline's job
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)  # every document placed

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
    rueckpost = models.BooleanField(default=False)  # Lieferschein: returned mail (Rückläufer)

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


class Eingangsdokument(TenantOwned):
    """One document found in a batch: pages of one delivered file, separator sheets
    removed (``pages``, 0-based, in the file's order). It carries what the pipeline learnt
    (text, codes, identifiers, kind, suggestions) and where it went: filed as a Dokument
    of an Akte, waiting in triage (``reason`` says why), marked not assignable, or in
    quarantine. Unique per file and part, so a split run twice creates nothing twice."""

    class State(models.TextChoices):
        NEU = "neu", "in Verarbeitung"
        ZU_PRUEFEN = "zu_pruefen", "wartet auf Zuordnung"
        ABGELEGT = "abgelegt", "abgelegt"
        NICHT_ZUORDENBAR = "nicht_zuordenbar", "nicht zuordenbar"
        QUARANTAENE = "quarantaene", "Quarantäne"
        ZUSAMMENGEFUEHRT = "zusammengefuehrt", "zusammengeführt"

    stapel = models.ForeignKey(Stapel, on_delete=models.PROTECT, related_name="dokumente")
    datei = models.ForeignKey(Stapeldatei, on_delete=models.PROTECT, related_name="dokumente")
    teil = models.PositiveIntegerField()  # the part's number in its file, from 0
    pages = models.JSONField(default=list)  # page indexes in the file, 0-based
    first_page = models.PositiveIntegerField(default=0)  # min(pages): the order in the file
    state = models.CharField(max_length=16, choices=State.choices, default=State.NEU)
    original_sha256 = models.CharField(max_length=64, blank=True)  # the scanned pages
    searchable_sha256 = models.CharField(max_length=64, blank=True)  # with text layer
    text = models.TextField(blank=True)
    ocr_done = models.BooleanField(default=False)
    pdfa = models.BooleanField(default=False)
    rotated = models.JSONField(default=list)  # pages (of ``pages``) turned upright
    # Triage: pages turned by a person, {file page (0-based, as text): degrees clockwise};
    # the original PDF carries the same turn as its pages' /Rotate.
    turns = models.JSONField(default=dict)
    # Triage: the job re-recognising the document after a split, merge or turn; while
    # set, the document „wird neu erkannt“ and cannot be filed.
    rework_job_id = models.UUIDField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # state ``zusammengefuehrt``: the document that holds its pages now
    codes = models.JSONField(default=list)  # [{"page", "format", "text"}]
    antwortcode = models.JSONField(null=True, blank=True)  # koffer's reply code, decoded
    # Returned mail (Rückläufer) of the letter its reply code names: why it came back, and
    # who said so: ``lieferschein``, ``vermerk`` (the Post's sticker read) or ``poststelle``.
    rueckpost_grund = models.CharField(max_length=500, blank=True)
    rueckpost_quelle = models.CharField(max_length=12, blank=True)
    merkmale = models.JSONField(default=dict)
    kind = models.CharField("Dokumentart", max_length=30, blank=True)
    kind_confidence = models.FloatField(null=True, blank=True)
    vorschlaege = models.JSONField(default=list)  # [{"akte", "vorgang", "confidence", "reasons"}]
    confidence = models.FloatField(null=True, blank=True)  # of the best suggestion
    reason = models.TextField("Grund", blank=True)  # why it waits, or why not assignable
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )  # the team whose triage queue holds it
    akte = models.ForeignKey(
        "records.Akte", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vorgang = models.ForeignKey(
        "records.Vorgang", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dokument = models.ForeignKey(
        "records.Dokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_rule = models.CharField(max_length=200, blank=True)  # which rule filed it
    filed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # triage: who has it open
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Eingangsdokument"
        verbose_name_plural = "Eingangsdokumente"
        ordering = ["created_at", "teil"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "datei", "teil"], name="inbox_eingangsdokument_teil_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=[
                        "neu",
                        "zu_pruefen",
                        "abgelegt",
                        "nicht_zuordenbar",
                        "quarantaene",
                        "zusammengefuehrt",
                    ]
                ),
                name="inbox_eingangsdokument_state_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "state", "unit", "created_at"], name="inbox_eingang_queue"
            ),
            models.Index(fields=["tenant", "stapel", "teil"], name="inbox_eingang_stapel"),
            models.Index(
                fields=["tenant", "datei", "first_page"], name="inbox_eingang_datei_seite"
            ),
            models.Index(fields=["original_sha256"], name="inbox_eingang_original"),
            models.Index(fields=["searchable_sha256"], name="inbox_eingang_searchable"),
        ]

    def __str__(self) -> str:
        return f"Eingangsdokument {self.teil + 1} aus {self.datei_id}"

    @property
    def pages_label(self) -> str:
        """ "Seite 4" or "Seiten 1–3", for the protocol and the pages."""
        return f"Seite{'n' if len(self.pages) > 1 else ''} {self.page_numbers}"

    @property
    def page_numbers(self) -> str:
        """The pages in the file as a person reads them: "1–3", "4", "2, 5"."""
        numbers = [p + 1 for p in self.pages]
        if numbers and numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
            return f"{numbers[0]}–{numbers[-1]}"
        return ", ".join(str(n) for n in numbers)


class Protokolleintrag(TenantOwned):
    """One line of a batch's protocol (item 4): what was done to a file, a page or a
    document, by whom or by which rule, with its data (confidence, Akte, pages)."""

    stapel = models.ForeignKey(Stapel, on_delete=models.PROTECT, related_name="protokoll")
    datei = models.ForeignKey(
        Stapeldatei, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dokument = models.ForeignKey(
        Eingangsdokument, null=True, blank=True, on_delete=models.PROTECT, related_name="protokoll"
    )
    at = models.DateTimeField()
    action = models.CharField(max_length=40)
    message = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = "Protokolleintrag"
        verbose_name_plural = "Protokolleinträge"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["tenant", "stapel", "at"], name="inbox_protokoll_stapel")]

    def __str__(self) -> str:
        return self.message


class Verarbeitungsregel(TenantOwned):
    """The Mandant's rules for the pipeline: above which confidence a document is filed
    without a person looking, and what a separator sheet's code says. One per Mandant;
    without one the defaults hold."""

    auto_threshold = models.FloatField("Automatisch ablegen ab Sicherheit", default=0.9)
    separator_pattern = models.CharField(
        "Muster des Trennblatt-Codes", max_length=200, default=r"^KOFFER-TRENNBLATT$"
    )
    wiedervorlage_days = models.PositiveSmallIntegerField("Wiedervorlage nach Tagen", default=0)
    # Weeks after the batch's passed check until its paper originals may be destroyed.
    aufbewahrung_wochen = models.PositiveSmallIntegerField(
        "Papieroriginale aufbewahren (Wochen)", default=8
    )

    class Meta:
        verbose_name = "Verarbeitungsregel"
        verbose_name_plural = "Verarbeitungsregeln"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="inbox_verarbeitungsregel_uniq")
        ]

    def __str__(self) -> str:
        return "Verarbeitungsregeln"


class Artregel(TenantOwned):
    """What filing a document of one kind does beyond the Wiedervorlage: open a Vorgang of
    ``vorgang_typ`` with a Frist (e.g. an objection: a Widerspruch-Vorgang and three
    months to decide, § 88 Abs. 2 SGG)."""

    kind = models.CharField("Dokumentart", max_length=30)
    vorgang_typ = models.ForeignKey(
        "records.VorgangTyp", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frist_label = models.CharField("Frist", max_length=200, blank=True)
    frist_months = models.PositiveSmallIntegerField(default=0)
    frist_days = models.PositiveSmallIntegerField(default=0)
    # Weeks the paper original of this kind is kept; empty: the Mandant's default.
    aufbewahrung_wochen = models.PositiveSmallIntegerField(
        "Papieroriginale aufbewahren (Wochen)", null=True, blank=True
    )

    class Meta:
        verbose_name = "Regel je Dokumentart"
        verbose_name_plural = "Regeln je Dokumentart"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="inbox_artregel_kind_uniq")
        ]

    def __str__(self) -> str:
        return f"Regel {self.kind}"


class Rueckscanakte(TenantOwned):
    """An Akte whose paper file is scanned in bulk (Rückscan): planned when its Deckblatt
    was printed, scanned when a Rückscan batch brought the file back with that Deckblatt.
    ``standort`` is the Organisationseinheit of kind Standort above the Akte's unit (or
    that unit itself), so the rollout is counted per site. One row per Akte; printing the
    Deckblatt again changes nothing but ``printed``."""

    class State(models.TextChoices):
        GEPLANT = "geplant", "geplant"
        GESCANNT = "gescannt", "gescannt"

    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    standort = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.GEPLANT)
    planned_at = models.DateTimeField(null=True, blank=True)  # None: scanned without a plan
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    printed = models.PositiveIntegerField(default=0)  # how often its Deckblatt was printed
    stapel = models.ForeignKey(
        Stapel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the batch that brought it back (the last, if it came in parts)
    eingang = models.ForeignKey(
        Eingangsdokument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)  # scanned pages, Deckblatt not counted

    class Meta:
        verbose_name = "Rückscan-Akte"
        verbose_name_plural = "Rückscan-Akten"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "akte"], name="inbox_rueckscanakte_uniq"),
            models.CheckConstraint(
                condition=models.Q(state__in=["geplant", "gescannt"]),
                name="inbox_rueckscanakte_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "standort", "state"], name="inbox_rueckscan_standort"),
        ]

    def __str__(self) -> str:
        return f"Rückscan {self.akte_id}"


class Importlauf(TenantOwned):
    """One import of Personen, Bedarfsgemeinschaften and Akten from the CSV export of the
    previous specialist software (issue 15, Migration). The files are kept as decoded text
    with their hash; the dry run's counts stay beside the real run's, which a job fills in
    steps of rows, each step one transaction, so a run killed at any point continues where
    it stopped."""

    class State(models.TextChoices):
        GEPRUEFT = "geprueft", "Probelauf fertig"
        WARTET = "wartet", "wartet auf den Start"
        LAEUFT = "laeuft", "Import läuft"
        FERTIG = "fertig", "Import fertig"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # [{"name", "art", "sha256", "encoding", "text"}] in import order (persons first)
    dateien = models.JSONField(default=list)
    sha256 = models.CharField(max_length=64)  # over every file's name and hash
    default_unit = models.ForeignKey(
        "tenancy.Organisationseinheit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.GEPRUEFT)
    job_id = models.UUIDField(null=True, blank=True)
    # The dry run: {"neu": n, "geaendert": n, "unveraendert": n, "abgelehnt": n, "je_art": {...}}
    probelauf = models.JSONField(default=dict)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "Importlauf"
        verbose_name_plural = "Importläufe"
        indexes = [models.Index(fields=["tenant", "-created_at"], name="inbox_importlauf_idx")]

    def __str__(self) -> str:
        return f"Importlauf {self.created_at:%d.%m.%Y %H:%M}"

    @property
    def percent(self) -> int:
        if self.state == self.State.FERTIG:
            return 100
        return self.rows_done * 100 // self.rows_total if self.rows_total else 0


class Importablehnung(TenantOwned):
    """A row of an import file that was not taken over, with the reason (German): found by
    the dry run (``probelauf``) or by the import itself."""

    lauf = models.ForeignKey(Importlauf, on_delete=models.CASCADE, related_name="ablehnungen")
    probelauf = models.BooleanField()
    datei = models.CharField(max_length=200)
    zeile = models.PositiveIntegerField()
    spalte = models.CharField(max_length=60, blank=True)
    wert = models.CharField(max_length=300, blank=True)
    grund = models.CharField(max_length=500)

    class Meta:
        verbose_name = "abgelehnte Importzeile"
        verbose_name_plural = "abgelehnte Importzeilen"
        ordering = ["datei", "zeile"]
        indexes = [
            models.Index(
                fields=["tenant", "lauf", "probelauf", "datei", "zeile"], name="inbox_importabl_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.datei}, Zeile {self.zeile}: {self.grund}"


class Altsystemschluessel(TenantOwned):
    """The previous software's key of an imported Person, Bedarfsgemeinschaft or Akte: a
    re-run finds what it imported before and creates nothing twice. ``fingerprint`` is the
    hash of the row last taken over, so a re-run changes only what the export changed."""

    class Art(models.TextChoices):
        PERSON = "person", "Person"
        BG = "bg", "Bedarfsgemeinschaft"
        AKTE = "akte", "Akte"

    art = models.CharField(max_length=10, choices=Art.choices)
    schluessel = models.CharField(max_length=100)
    objekt_id = models.UUIDField()
    fingerprint = models.CharField(max_length=64, blank=True)
    lauf = models.ForeignKey(
        Importlauf, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Schlüssel im Altsystem"
        verbose_name_plural = "Schlüssel im Altsystem"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "art", "schluessel"], name="inbox_altsystem_key_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "art", "objekt_id"], name="inbox_altsystem_obj_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_art_display()} {self.schluessel}"


# --- paper originals (issue 15, item 5) -----------------------------------------------------


class Original(TenantOwned):
    """What keeps the paper original of one document from being destroyed: marked
    „Original aufbewahren“ (the mail room or a caseworker needs the paper) or under a
    „Rechtliche Sperre“ (a legal hold: a court case, a criminal complaint), each with its
    reason. A row exists only once something was marked; without one the original may be
    destroyed when its date comes (``inbox.originale.selectors``)."""

    dokument = models.ForeignKey(Eingangsdokument, on_delete=models.PROTECT, related_name="+")
    aufbewahren = models.BooleanField("Original aufbewahren", default=False)
    aufbewahren_grund = models.TextField(blank=True)
    sperre = models.BooleanField("Rechtliche Sperre", default=False)
    sperre_grund = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "Papieroriginal"
        verbose_name_plural = "Papieroriginale"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dokument"], name="inbox_original_dokument_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Original von {self.dokument_id}"

    @property
    def excluded(self) -> bool:
        return self.aufbewahren or self.sperre


class Vernichtungsliste(TenantOwned):
    """An immutable list of paper originals a scan provider may destroy: the originals of
    its batches in one Organisationseinheit whose date had come when the list was made.
    Numbered per Mandant (gap-free). The provider confirms it once (who destroyed, when);
    the same confirmation again changes nothing, another one is refused. The protocol
    PDF of the destruction is kept in the blob store (``protocol_sha256``)."""

    class State(models.TextChoices):
        OFFEN = "offen", "wartet auf Bestätigung"
        BESTAETIGT = "bestaetigt", "Vernichtung bestätigt"

    number = models.PositiveIntegerField("Nummer")
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OFFEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)  # when koffer recorded it
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the account that confirmed
    destroyed_by = models.CharField("Vernichtet durch", max_length=200, blank=True)
    destroyed_at = models.DateTimeField("Vernichtet am", null=True, blank=True)
    confirmation_sha256 = models.CharField(max_length=64, blank=True)
    protocol_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "Vernichtungsliste"
        verbose_name_plural = "Vernichtungslisten"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="inbox_vernichtungsliste_number_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["offen", "bestaetigt"]),
                name="inbox_vernichtungsliste_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "provider", "created_at"], name="inbox_vliste_provider"),
            models.Index(fields=["tenant", "state", "created_at"], name="inbox_vliste_state"),
            models.Index(fields=["protocol_sha256"], name="inbox_vliste_protocol"),
        ]

    def __str__(self) -> str:
        return f"Vernichtungsliste {self.label}"

    @property
    def label(self) -> str:
        return f"VL-{self.number:05d}"


class Vernichtungseintrag(TenantOwned):
    """One paper original on a destruction list: a document's pages in its batch file,
    with the date it became destroyable. Its state says what happened: still to destroy,
    destroyed (the confirmation), withdrawn (marked „aufbewahren“ or put under a legal
    hold after the list was made: the provider must not destroy it) or not destroyed (the
    provider could not, with its reason). An original is on at most one list unless it
    was withdrawn."""

    class State(models.TextChoices):
        OFFEN = "offen", "zu vernichten"
        VERNICHTET = "vernichtet", "vernichtet"
        ZURUECKGEZOGEN = "zurueckgezogen", "zurückgezogen: nicht vernichten"
        NICHT_VERNICHTET = "nicht_vernichtet", "nicht vernichtet"

    liste = models.ForeignKey(Vernichtungsliste, on_delete=models.PROTECT, related_name="eintraege")
    dokument = models.ForeignKey(Eingangsdokument, on_delete=models.PROTECT, related_name="+")
    stapel = models.ForeignKey(Stapel, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    due = models.DateField("Vernichtbar ab")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OFFEN)
    reason = models.TextField("Grund", blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Eintrag einer Vernichtungsliste"
        verbose_name_plural = "Einträge einer Vernichtungsliste"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "liste", "position"], name="inbox_veintrag_position_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "dokument"],
                condition=~models.Q(state="zurueckgezogen"),
                name="inbox_veintrag_dokument_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state__in=["offen", "vernichtet", "zurueckgezogen", "nicht_vernichtet"]
                ),
                name="inbox_veintrag_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "liste", "position"], name="inbox_veintrag_liste"),
            models.Index(fields=["tenant", "dokument"], name="inbox_veintrag_dokument"),
        ]

    def __str__(self) -> str:
        return f"Eintrag {self.position} der {self.liste_id}"


class Originalfreigabe(TenantOwned):
    """The mail room's release of a batch whose quality check did not pass: after looking
    at the scans it decides that the paper originals may be destroyed like those of a
    passed batch (from the day of the release), with its reason."""

    stapel = models.ForeignKey(Stapel, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("Grund")
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField()

    class Meta:
        verbose_name = "Freigabe der Originale"
        verbose_name_plural = "Freigaben der Originale"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "stapel"], name="inbox_originalfreigabe_stapel_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Freigabe der Originale von {self.stapel_id}"


class FitConnectZiel(TenantOwned):
    """A FIT-Connect destination (Zustellpunkt) of the Mandant: where other OZG portals
    send submissions, which koffer fetches from the Zustelldienst's subscriber API. The
    private keys (decryption, RSA-OAEP-256; signing of the events, PS512) and the OAuth
    client secret are kept encrypted as ``audit.Geheimnis`` (``inbox.fitconnect.schluessel``);
    this table names them only by key id."""

    destination_id = models.UUIDField("Zustellpunkt-ID")
    name = models.CharField("Bezeichnung", max_length=200)
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )  # the Posteingang whose pipeline and triage receive the submissions
    # Who set the destination up; recorded as the deliverer of its submissions' batches.
    eingerichtet_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    base_url = models.URLField("Adresse des Zustelldienstes (Subscriber-API)", max_length=500)
    token_url = models.URLField("Adresse des OAuth-Dienstes", max_length=500, blank=True)
    client_id = models.CharField("OAuth-Client-ID", max_length=200, blank=True)
    encryption_kid = models.CharField(max_length=100)  # kid of the public encryption key
    signing_kid = models.CharField(max_length=100)  # kid of the events' signing key
    # When the current keys were made (set up or changed); empty: at ``created_at``.
    schluessel_seit = models.DateTimeField(null=True, blank=True)
    aktiv = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    poll_error = models.TextField(blank=True)  # the last poll's failure, German

    class Meta:
        verbose_name = "FIT-Connect-Zustellpunkt"
        verbose_name_plural = "FIT-Connect-Zustellpunkte"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "destination_id"], name="inbox_fitconnect_ziel_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"FIT-Connect {self.name}"


class FitConnectEinreichung(TenantOwned):
    """One submission fetched from the Zustelldienst and what koffer decided: accepted
    (a batch of the Posteingang, ``stapel``, its data JSON kept here beside it) or
    rejected with a FIT-Connect problem and a German reason (kept with the submission as
    fetched, ``rohdaten``, and shown in the Posteingang's quarantine as an Ablehnung).
    Unique per Mandant and submission id: fetched again, it is never taken twice. The
    event (a signed SET) is written with the decision and posted afterwards; until
    ``ereignis_gesendet_at`` is set the next poll posts it (the same SET, same ``jti``)."""

    class State(models.TextChoices):
        ANGENOMMEN = "angenommen", "angenommen"
        ABGELEHNT = "abgelehnt", "abgelehnt"

    ziel = models.ForeignKey(FitConnectZiel, on_delete=models.PROTECT, related_name="+")
    submission_id = models.UUIDField()
    case_id = models.UUIDField()
    state = models.CharField(max_length=12, choices=State.choices)
    problem = models.CharField(max_length=60, blank=True)  # FIT-Connect problem, e.g. hash-mismatch
    grund = models.TextField("Grund", blank=True)  # German
    stapel = models.ForeignKey(
        Stapel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    metadaten = models.TextField(blank=True)  # decrypted metadata (JSON), when readable
    daten = models.TextField(blank=True)  # decrypted data (Fachdaten), when readable
    daten_mime = models.CharField(max_length=100, blank=True)
    rohdaten = models.TextField(blank=True)  # rejected: the submission as fetched (JWEs)
    ereignis = models.TextField()  # the signed SET (JWS compact)
    ereignis_jti = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    ereignis_gesendet_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "FIT-Connect-Einreichung"
        verbose_name_plural = "FIT-Connect-Einreichungen"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "submission_id"], name="inbox_fitconnect_einreichung_uniq"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["angenommen", "abgelehnt"]),
                name="inbox_fitconnect_einreichung_state_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "ziel", "ereignis_gesendet_at"], name="inbox_fitconnect_offen"
            ),
        ]

    def __str__(self) -> str:
        return f"FIT-Connect-Einreichung {self.submission_id}"
