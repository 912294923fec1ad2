"""Every table of the Koffer (field mode). Citus-ready: each table carries ``tenant_id``,
and each unique constraint includes it. Features keep no models of their own, so moving code
never needs a migration.

A :class:`Geraet` is one Koffer: a laptop of one field worker, registered in the office and
paired once; it then authenticates with a token of its own (only its hash is kept). An
:class:`Ausleihe` is one Akte checked out to a Koffer for the day's visits, until it is
returned on sync or its time runs out; at most one Koffer holds an Akte at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from koffer.tenancy.scoping import TenantOwned


class Geraet(TenantOwned):
    """A Koffer of the office's device registry, registered by or for its field worker.
    ``token_hash`` is the SHA-256 of the token the Koffer got when it was paired (empty
    before). A revoked Koffer is refused and told on
    its next contact to wipe its local data; ``geloescht_am`` records that it confirmed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("Bezeichnung", max_length=120)
    token_hash = models.CharField(max_length=64, blank=True)
    # The one-time pairing code shown to the field worker (its SHA-256) and until when it
    # holds; both emptied once the Koffer is paired.
    kopplung_hash = models.CharField(max_length=64, blank=True)
    kopplung_bis = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    gekoppelt_am = models.DateTimeField(null=True, blank=True)
    letzter_kontakt = models.DateTimeField(null=True, blank=True)
    gesperrt_am = models.DateTimeField(null=True, blank=True)
    sperrgrund = models.CharField("Grund der Sperre", max_length=500, blank=True)
    geloescht_am = models.DateTimeField(null=True, blank=True)
    # The Koffer's audit segment (``field.segment``): the ids of the keys issued to it at
    # each pairing (the keys are files, never in the database), and the seq and hash of
    # the last of its events the office verified and appended; the next segment must
    # go on from there.
    segment_schluessel = models.JSONField(default=list, blank=True)
    segment_seq = models.BigIntegerField(null=True, blank=True)
    segment_hash = models.CharField(max_length=64, blank=True)
    # „Segment neu beginnen“: the key of a new segment the administration began for this
    # Koffer (its older keys retired), until the Koffer's first segment under it arrives;
    # every push before is answered with it (``segment_neu``).
    segment_neu = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = "Koffer"
        verbose_name_plural = "Koffer"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "token_hash"],
                condition=~Q(token_hash=""),
                name="field_geraet_token_uniq",
            ),
        ]
        # A Koffer's request names no Mandant: it is found by its token (or pairing code)
        # alone, which the (tenant, token) constraint's index does not serve.
        indexes = [
            models.Index(fields=["token_hash"], name="field_geraet_token_idx"),
            models.Index(fields=["kopplung_hash"], name="field_geraet_kopplung_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Ausleihe(TenantOwned):
    """An Akte checked out to a Koffer from ``seit``; it ends when the Koffer returns it
    (``zurueck_am``, on sync) or, at the latest, at ``bis``, when the Koffer wipes it
    locally. The database keeps at most one open checkout per Akte."""

    geraet = models.ForeignKey(Geraet, on_delete=models.PROTECT, related_name="ausleihen")
    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seit = models.DateTimeField()
    bis = models.DateTimeField()
    zurueck_am = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Ausleihe"
        verbose_name_plural = "Ausleihen"
        ordering = ["-seit"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "akte"],
                condition=Q(zurueck_am__isnull=True),
                name="field_ausleihe_offen_uniq",
            ),
            models.CheckConstraint(
                condition=Q(bis__gt=models.F("seit")), name="field_ausleihe_frist"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.akte_id} im Koffer {self.geraet_id}"


class Hausbesuch(TenantOwned):
    """A home visit of a field worker (``aussendienst``) for an Akte on ``datum``: planned
    by a caseworker (``quelle`` sachbearbeitung) or from a citizen's request (``portal``),
    with the reason, the forms to take along (keys of the Mandant's catalogue) and notes
    for the door (accessibility, „Klingel defekt“). Planning also puts a Wiedervorlage on
    the field worker's desk for that day (``wiedervorlage``), so the visit shows in the
    existing queues; done or cancelled, that Wiedervorlage is done too."""

    class Status(models.TextChoices):
        GEPLANT = "geplant", "geplant"
        ERLEDIGT = "erledigt", "erledigt"
        ABGESAGT = "abgesagt", "abgesagt"

    class Quelle(models.TextChoices):
        SACHBEARBEITUNG = "sachbearbeitung", "Sachbearbeitung"
        PORTAL = "portal", "Bürgerportal"

    akte = models.ForeignKey("records.Akte", on_delete=models.PROTECT, related_name="+")
    vorgang = models.ForeignKey(
        "records.Vorgang", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    aussendienst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Außendienst",
    )
    datum = models.DateField("Datum")
    uhrzeit = models.TimeField("Uhrzeit", null=True, blank=True)
    anlass = models.CharField("Anlass", max_length=300)
    formulare = models.JSONField("Mitzunehmende Formulare", default=list, blank=True)
    hinweise = models.CharField("Hinweise", max_length=500, blank=True)
    quelle = models.CharField(
        "Quelle", max_length=20, choices=Quelle.choices, default=Quelle.SACHBEARBEITUNG
    )
    status = models.CharField(
        "Status", max_length=10, choices=Status.choices, default=Status.GEPLANT
    )
    absagegrund = models.CharField("Grund der Absage", max_length=500, blank=True)
    wiedervorlage = models.ForeignKey(
        "records.Wiedervorlage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    erledigt_am = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Hausbesuch"
        verbose_name_plural = "Hausbesuche"
        ordering = ["datum", "uhrzeit"]
        indexes = [
            models.Index(fields=["tenant", "aussendienst", "datum"], name="field_besuch_tag_idx"),
            models.Index(fields=["tenant", "akte", "datum"], name="field_besuch_akte_idx"),
        ]
        constraints = [
            # A Wiedervorlage stands for one visit: turning it into a second is a mistake.
            models.UniqueConstraint(
                fields=["tenant", "wiedervorlage"],
                condition=Q(wiedervorlage__isnull=False),
                name="field_besuch_wv_uniq",
            ),
            models.CheckConstraint(condition=~Q(anlass=""), name="field_besuch_anlass"),
            models.CheckConstraint(
                condition=~Q(status="abgesagt") | ~Q(absagegrund=""),
                name="field_besuch_absage_grund",
            ),
            models.CheckConstraint(
                condition=~Q(status="erledigt") | Q(erledigt_am__isnull=False),
                name="field_besuch_erledigt_am",
            ),
        ]

    def __str__(self) -> str:
        return f"Hausbesuch am {self.datum:%d.%m.%Y}"


class Besuchswunsch(TenantOwned):
    """A citizen's request for a home visit, made in the portal (``konto_id``: the
    citizen's account; field never imports the portal, so the id is kept plainly). For
    the account's own person or one it represents (``person``), or for a relative
    without a Vertretung (``person`` empty: name, address and phone as the relative gave
    them; linked to an Akte only when a planner matches it). The planner (whoever edits
    Akten in ``unit``, the team the Mandant's portal sends requests to) turns it into a
    :class:`Hausbesuch` of source portal or declines it with a reason the citizen sees."""

    class Status(models.TextChoices):
        OFFEN = "offen", "eingegangen"
        GEPLANT = "geplant", "geplant"
        ABGELEHNT = "abgelehnt", "abgelehnt"
        # The citizen took it back before a planner decided (it stays visible to them).
        ZURUECKGEZOGEN = "zurueckgezogen", "zurückgezogen"

    class Fuer(models.TextChoices):
        SELBST = "selbst", "für sich selbst"
        VERTRETUNG = "vertretung", "für eine vertretene Person"
        ANGEHOERIGE = "angehoerige", "für eine angehörige Person (ohne Vertretung)"

    class Thema(models.TextChoices):
        ANTRAG = "antrag", "Hilfe beim Ausfüllen eines Antrags"
        PFLEGE = "pflege", "Pflege und Hilfe im Alltag"
        WOHNEN = "wohnen", "Wohnen und Wohngeld"
        BERATUNG = "beratung", "Allgemeine Beratung"
        SONSTIGES = "sonstiges", "Anderes Anliegen"

    class Tageszeit(models.TextChoices):
        EGAL = "egal", "egal"
        VORMITTAGS = "vormittags", "vormittags"
        NACHMITTAGS = "nachmittags", "nachmittags"

    class Barriere(models.TextChoices):
        ROLLSTUHL = "rollstuhl", "Rollstuhl oder Rollator"
        HOEREN = "hoeren", "Hörbehinderung: bitte deutlich sprechen"
        SEHEN = "sehen", "Sehbehinderung"
        KLINGEL = "klingel", "Klingel geht nicht: bitte anrufen"
        HUND = "hund", "Hund im Haushalt"
        TREPPE = "treppe", "Kein Aufzug, mehrere Treppen"

    konto_id = models.UUIDField("Bürgerkonto")
    anfragende = models.CharField("Angefragt von", max_length=200)
    fuer = models.CharField("Für wen", max_length=12, choices=Fuer.choices)
    person = models.ForeignKey(
        "records.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    family_name = models.CharField("Familienname", max_length=120)
    given_names = models.CharField("Vornamen", max_length=200, blank=True)
    street = models.CharField("Straße und Hausnummer", max_length=200)
    postal_code = models.CharField("PLZ", max_length=10)
    city = models.CharField("Ort", max_length=120)
    telefon = models.CharField("Telefon für Rückruf", max_length=25)
    beziehung = models.CharField("Beziehung zur Person", max_length=80, blank=True)
    thema = models.CharField("Thema", max_length=12, choices=Thema.choices)
    anliegen = models.CharField("Anliegen", max_length=1000, blank=True)
    wochentage = models.JSONField("Wochentage", default=list, blank=True)
    tageszeit = models.CharField(
        "Tageszeit", max_length=12, choices=Tageszeit.choices, default=Tageszeit.EGAL
    )
    ab = models.DateField("Frühestens am", null=True, blank=True)
    bis = models.DateField("Spätestens am", null=True, blank=True)
    barrieren = models.JSONField("Barrierefreiheit", default=list, blank=True)
    barrieren_hinweis = models.CharField("Hinweise zum Zugang", max_length=500, blank=True)
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("Status", max_length=14, choices=Status.choices, default="offen")
    hausbesuch = models.ForeignKey(
        Hausbesuch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    zurueckgezogen_am = models.DateTimeField("Zurückgezogen am", null=True, blank=True)
    ablehnungsgrund = models.CharField("Grund der Ablehnung", max_length=500, blank=True)
    created_at = models.DateTimeField()
    entschieden_am = models.DateTimeField(null=True, blank=True)
    entschieden_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Besuchswunsch"
        verbose_name_plural = "Besuchswünsche"
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="field_wunsch_offen_idx"),
            models.Index(
                fields=["tenant", "konto_id", "created_at"], name="field_wunsch_konto_idx"
            ),
        ]
        constraints = [
            # One visit answers one request.
            models.UniqueConstraint(
                fields=["tenant", "hausbesuch"],
                condition=Q(hausbesuch__isnull=False),
                name="field_wunsch_besuch_uniq",
            ),
            models.CheckConstraint(
                condition=~Q(status="geplant") | Q(hausbesuch__isnull=False),
                name="field_wunsch_geplant_besuch",
            ),
            models.CheckConstraint(
                condition=~Q(status="abgelehnt") | ~Q(ablehnungsgrund=""),
                name="field_wunsch_ablehnung_grund",
            ),
            models.CheckConstraint(
                condition=Q(ab__isnull=True) | Q(bis__isnull=True) | Q(ab__lte=F("bis")),
                name="field_wunsch_zeitraum",
            ),
        ]

    def __str__(self) -> str:
        return f"Besuchswunsch vom {self.created_at:%d.%m.%Y}"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given_names, self.family_name) if p)


class Stand(TenantOwned):
    """The base version of one row a Koffer imported from its checkout package: the
    fields exactly as the office sent them. Kept on the Koffer only, so that the sync back
    can merge per field (what the Koffer changed against this, what the office changed
    against this) and show a true conflict instead of overwriting. A later package
    replaces the base (``paket_erstellt``: when the office built it)."""

    modell = models.CharField(max_length=100)  # the model's label, e.g. "records.akte"
    objekt_id = models.CharField(max_length=64)  # its primary key as text
    felder = models.JSONField(default=dict)
    paket_erstellt = models.DateTimeField()
    abgeholt_am = models.DateTimeField()

    class Meta:
        verbose_name = "Basisstand"
        verbose_name_plural = "Basisstände"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "modell", "objekt_id"], name="field_stand_objekt_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.modell} {self.objekt_id}"


class Abholstand(TenantOwned):
    """On the Koffer: the office's change marker (``stand``, its audit chain's sequence
    number when it began building the package) of the last complete pull, per Mandant.
    The next pull asks only for what changed since (``GET /koffer/paket?seit=``); written
    in the transaction that imports the package, so a pull that did not finish never
    advances it."""

    stand = models.BigIntegerField()
    paket_erstellt = models.DateTimeField()
    abgeholt_am = models.DateTimeField()
    # Set once every file the package named is here: a pull interrupted while fetching
    # them is repeated whole, so the files of its package are fetched too.
    dateien_fertig = models.BooleanField(default=False)

    class Meta:
        verbose_name = "Abholstand"
        verbose_name_plural = "Abholstände"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="field_abholstand_mandant_uniq"),
        ]

    def __str__(self) -> str:
        return f"Stand {self.stand}"


class Abgleich(TenantOwned):
    """One sync back of a Koffer, as the office received it: ``abgleich_id`` is chosen by
    the Koffer once per push and reused on every retry, so the same push again gets the
    stored ``antwort`` and nothing is applied twice. ``empfangen_am`` is the office's time
    (authoritative); ``erstellt_koffer`` is the Koffer's clock, kept only as information."""

    geraet = models.ForeignKey(Geraet, on_delete=models.PROTECT, related_name="abgleiche")
    abgleich_id = models.UUIDField()
    empfangen_am = models.DateTimeField()
    erstellt_koffer = models.DateTimeField(null=True, blank=True)
    antwort = models.JSONField(default=dict)
    uebernommen = models.PositiveIntegerField(default=0)
    konflikte = models.PositiveIntegerField(default=0)
    neu = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "Abgleich"
        verbose_name_plural = "Abgleiche"
        ordering = ["-empfangen_am"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "abgleich_id"], name="field_abgleich_id_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Abgleich {self.abgleich_id}"


class Sicherung(TenantOwned):
    """A completed backup of the office, as its backup job or an administrator confirms
    it (``manage.py backup_bestaetigt``): everything committed before ``stand`` (the time
    the backup began) is in it. The newest marker tells every Koffer which of its accepted
    pushes it may drop (``abgleich.selectors.gesichert``): an office restored from this
    backup still has them."""

    stand = models.DateTimeField("Sicherung begonnen")
    erfasst_am = models.DateTimeField(auto_now_add=True)
    erfasst_von = models.CharField("Erfasst von", max_length=200, blank=True)

    class Meta:
        verbose_name = "Sicherung"
        verbose_name_plural = "Sicherungen"
        ordering = ["-stand"]
        indexes = [models.Index(fields=["tenant", "-stand"], name="field_sicherung_stand_idx")]

    def __str__(self) -> str:
        return f"Sicherung {self.stand:%Y-%m-%d %H:%M}"


class Konflikt(TenantOwned):
    """A field that both the office and a Koffer changed from the same base to different
    values (``art`` feld: the office's value stays until a person decides), a change
    from a Koffer to a row the office deleted meanwhile (``art`` geloescht: decided at once,
    the deletion wins, visible in ``hinweis``), or a change or a new row the office did
    not take (``art`` abgelehnt: the Akte was closed in the office, or the E-Akte's
    service refused it — its German reason in ``hinweis``; a new row waits whole in
    ``koffer_wert`` with ``feld`` empty, so nothing made on the Koffer is lost)."""

    class Art(models.TextChoices):
        FELD = "feld", "Feld in beiden geändert"
        GELOESCHT = "geloescht", "Im Büro gelöscht"
        ABGELEHNT = "abgelehnt", "Im Büro nicht übernommen"

    class Status(models.TextChoices):
        OFFEN = "offen", "offen"
        ENTSCHIEDEN = "entschieden", "entschieden"

    class Entscheidung(models.TextChoices):
        BUERO = "buero", "Wert aus dem Büro behalten"
        KOFFER = "koffer", "Wert aus dem Koffer übernommen"

    abgleich = models.ForeignKey(Abgleich, on_delete=models.PROTECT, related_name="konflikt_set")
    akte = models.ForeignKey(
        "records.Akte", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    modell = models.CharField(max_length=100)
    objekt_id = models.CharField(max_length=64)
    feld = models.CharField(max_length=100, blank=True)
    basis = models.JSONField(null=True, blank=True)
    buero_wert = models.JSONField(null=True, blank=True)
    koffer_wert = models.JSONField(null=True, blank=True)
    art = models.CharField(max_length=10, choices=Art.choices, default=Art.FELD)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFEN)
    entschieden_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entschieden_am = models.DateTimeField(null=True, blank=True)
    entscheidung = models.CharField(max_length=10, choices=Entscheidung.choices, blank=True)
    hinweis = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "Konflikt"
        verbose_name_plural = "Konflikte"
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["tenant", "status", "akte"], name="field_konflikt_offen_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "abgleich", "modell", "objekt_id", "feld"],
                name="field_konflikt_feld_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"Konflikt {self.modell} {self.objekt_id} {self.feld}"


class SegmentQuarantaene(TenantOwned):
    """An audit segment of a Koffer the office refused (it did not verify: a changed
    event, a gap, a wrong key …), kept as received with the reason, for the Mandant's
    administration to look into. Nothing of that push was applied; the Koffer keeps it."""

    geraet = models.ForeignKey(Geraet, on_delete=models.PROTECT, related_name="+")
    abgleich_id = models.UUIDField(null=True, blank=True)
    empfangen_am = models.DateTimeField()
    grund = models.TextField()
    segment = models.JSONField(default=dict)

    class Meta:
        verbose_name = "Segment in Quarantäne"
        verbose_name_plural = "Segmente in Quarantäne"
        ordering = ["-empfangen_am"]
        indexes = [
            models.Index(fields=["tenant", "empfangen_am"], name="field_quarantaene_idx"),
        ]

    def __str__(self) -> str:
        return f"Segment von {self.geraet_id} ({self.empfangen_am:%d.%m.%Y %H:%M})"


class Sitzung(TenantOwned):
    """A remote expert's session on one draft (``field/experte``): the field worker
    (``gestartet_von``) invites ``experte`` from the office to fill the form with them,
    with the citizen's consent (who gave it, how, when). ``felder`` holds each field's
    version and who wrote it last (``{feld: {"v": 3, "von": "<user id>"}}``): a write
    based on an older version of that field is refused as stale. ``letzte_nummer`` numbers
    the session's :class:`Ereignis` rows (the event stream's ids)."""

    class Status(models.TextChoices):
        OFFEN = "offen", "offen"
        BEENDET = "beendet", "beendet"

    class Einwilligung(models.TextChoices):
        MUENDLICH = "muendlich", "mündlich"
        SCHRIFTLICH = "schriftlich", "schriftlich"

    entwurf = models.ForeignKey("forms.Entwurf", on_delete=models.PROTECT, related_name="+")
    gestartet_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    experte = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    einwilligung_von = models.CharField("Einwilligung gegeben von", max_length=200)
    einwilligung_art = models.CharField(
        "Art der Einwilligung", max_length=12, choices=Einwilligung.choices
    )
    einwilligung_am = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFEN)
    gestartet_am = models.DateTimeField()
    beigetreten_am = models.DateTimeField(null=True, blank=True)
    verlassen_am = models.DateTimeField(null=True, blank=True)
    beendet_am = models.DateTimeField(null=True, blank=True)
    felder = models.JSONField(default=dict, blank=True)
    letzte_nummer = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "Expertensitzung"
        verbose_name_plural = "Expertensitzungen"
        indexes = [
            models.Index(fields=["tenant", "experte", "status"], name="field_sitzung_experte_idx"),
        ]
        constraints = [
            # One open session per draft: two would merge the same fields twice.
            models.UniqueConstraint(
                fields=["tenant", "entwurf"],
                condition=Q(status="offen"),
                name="field_sitzung_offen_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"Expertensitzung {self.pk}"


class Hinweis(TenantOwned):
    """A hint left in a session beside a field (``feld`` empty: for the whole form)."""

    sitzung = models.ForeignKey(Sitzung, on_delete=models.PROTECT, related_name="hinweise")
    feld = models.CharField(max_length=100, blank=True)
    text = models.CharField(max_length=1000)
    autor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    am = models.DateTimeField()

    class Meta:
        verbose_name = "Hinweis"
        verbose_name_plural = "Hinweise"
        ordering = ["am", "pk"]

    def __str__(self) -> str:
        return f"Hinweis {self.pk}"


class Ereignis(TenantOwned):
    """What happened in a session, numbered (``nummer``) for the event stream: a field
    written (in the session, or ``formular``: through the form's own pages while the
    session was open), a hint, a join, a leave, the end. No values: the stream reads them
    from the draft as they are when it sends, and leaves out what its reader may not see."""

    class Art(models.TextChoices):
        FELD = "feld", "Feld geändert"
        FORMULAR = "formular", "im Formular geändert"
        HINWEIS = "hinweis", "Hinweis"
        BEITRITT = "beitritt", "beigetreten"
        VERLASSEN = "verlassen", "verlassen"
        ENDE = "ende", "beendet"

    sitzung = models.ForeignKey(Sitzung, on_delete=models.PROTECT, related_name="ereignisse")
    nummer = models.PositiveIntegerField()
    art = models.CharField(max_length=10, choices=Art.choices)
    feld = models.CharField(max_length=100, blank=True)
    hinweis = models.ForeignKey(
        Hinweis, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    autor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    am = models.DateTimeField()

    class Meta:
        verbose_name = "Sitzungsereignis"
        verbose_name_plural = "Sitzungsereignisse"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sitzung", "nummer"], name="field_ereignis_nummer_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Ereignis {self.nummer} {self.art}"
