"""Platzbörse: facilities publish places, youth offices search and hold them, holds turn
into Belegungen, Belegungen into Leistungsnachweise and XRechnung invoices, facilities
file § 47 SGB VIII notifications.

Who owns which row: everything about a facility (Einrichtung, Angebot, Platz, and the
Reservierungen and Belegungen on its places) belongs to the provider's Mandant; a
Platzgesuch (the pseudonymous need of one child) belongs to the youth office that made it.
Rows that two parties work on carry the other party in ``jugendamt`` and are queried with
``for_party()``.

The field of work (youth welfare, elder care, refugee housing) is data: a Fachbereich
with its Betreuungsformen and Merkmale, never code.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from uuid6 import uuid7

from koffer.identifiers import validate_iban
from koffer.tenancy.scoping import TenantManager, TenantOwned, TenantQuerySet

# --- configuration: the field of work, its forms of care and criteria (installation-wide)


class Fachbereich(models.Model):
    """A field the exchange serves: Jugendhilfe, Pflege, Unterbringung Geflüchteter."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    place_label = models.CharField(max_length=40, default="Platz")
    place_label_plural = models.CharField(max_length=40, default="Plätze")
    person_label = models.CharField(max_length=40, default="Kind/Jugendliche*r")
    requester_label = models.CharField(max_length=60, default="Jugendamt")
    reservation_hours = models.PositiveSmallIntegerField(default=48)
    absence_share_default = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("75.00")
    )
    age_min = models.PositiveSmallIntegerField(default=0)
    age_max = models.PositiveSmallIntegerField(default=27)
    meldepflicht = models.BooleanField(default=False)  # § 47 SGB VIII applies
    order = models.PositiveSmallIntegerField(default=0)
    # Who pays the invoices of this field (BT-44 names "<Mandant>, <payer_label>"), and
    # the VAT treatment of its services (BT-118/BT-151, BT-120, BT-121). The defaults are
    # youth welfare's: exempt under § 4 Nr. 25 UStG. Only category E (exempt, rate 0) is
    # written by the invoice builder, so it is the only choice.
    payer_label = models.CharField(max_length=60, default="Jugendamt")
    tax_category = models.CharField(max_length=2, choices=[("E", "steuerbefreit (E)")], default="E")
    tax_exemption_reason = models.CharField(
        max_length=200,
        default="Umsatzsteuerfrei gemäß § 4 Nr. 25 UStG (Leistungen der Kinder- und Jugendhilfe)",
    )
    tax_exemption_code = models.CharField(max_length=30, default="VATEX-EU-132-1H")

    class Meta:
        verbose_name = "Fachbereich"
        verbose_name_plural = "Fachbereiche"
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class Betreuungsform(models.Model):
    """A form of care with its legal basis, e.g. § 34 SGB VIII Heimerziehung."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    fachbereich = models.ForeignKey(Fachbereich, on_delete=models.PROTECT, related_name="formen")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=160)
    rechtsgrundlage = models.CharField(max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "Betreuungsform"
        verbose_name_plural = "Betreuungsformen"
        ordering = ["fachbereich", "order", "label"]
        constraints = [
            models.UniqueConstraint(fields=["fachbereich", "code"], name="betreuungsform_code_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.rechtsgrundlage} {self.label}".strip()


class Merkmal(models.Model):
    """A criterion a facility offers and a need may ask for (language, specialisation)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    fachbereich = models.ForeignKey(Fachbereich, on_delete=models.PROTECT, related_name="merkmale")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=160)
    group = models.CharField(max_length=60, default="Spezialisierung")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "Merkmal"
        verbose_name_plural = "Merkmale"
        ordering = ["fachbereich", "group", "order", "label"]
        constraints = [
            models.UniqueConstraint(fields=["fachbereich", "code"], name="merkmal_code_uniq")
        ]

    def __str__(self) -> str:
        return self.label


class Region(models.Model):
    """A place name with coordinates, the origin of a distance search."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=120, unique=True)
    lat = models.FloatField()
    lon = models.FloatField()

    class Meta:
        verbose_name = "Region"
        verbose_name_plural = "Regionen"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Geschlecht(models.TextChoices):
    WEIBLICH = "w", "weiblich"
    MAENNLICH = "m", "männlich"
    DIVERS = "d", "divers"


# --- provider side -------------------------------------------------------------------


_Rows = TypeVar("_Rows", bound=models.QuerySet[Any])


def with_gesuch(qs: _Rows, path: str = "gesuch", *, prefetch: tuple[str, ...] = ()) -> _Rows:
    """``qs`` loading the youth office's Gesuch at ``path`` (``"belegung__gesuch"``: select
    the hops before it) by id and Mandant after its rows, one query for all, never joined:
    the Gesuch lives in the youth office's Mandant (on Citus other shards), which the
    provider's Reservierung or Belegung holding the key names in ``jugendamt``.
    ``prefetch``: the Gesuch's own relations (``"merkmale"``)."""
    assert isinstance(qs, TenantQuerySet)
    return qs.fetch_across(path, prefetch=prefetch)


class PartyQuerySet(TenantQuerySet):
    """Rows two Mandanten work on: the provider owns them, the youth office is a party."""

    def for_party(self, tenant: Any) -> Self:
        tenant_id = tenant if isinstance(tenant, uuid.UUID) else tenant.pk
        qs = self.filter(Q(tenant_id=tenant_id) | Q(jugendamt_id=tenant_id))
        qs._tenant_scoped = True
        return qs


class PartyManager(TenantManager.from_queryset(PartyQuerySet)):  # type: ignore[misc]
    pass


class Traegerprofil(TenantOwned):
    """What a provider needs on every invoice: legal name, address, bank, contact."""

    legal_name = models.CharField(max_length=200)
    street = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10)
    city = models.CharField(max_length=100)
    tax_number = models.CharField(max_length=40, blank=True)
    vat_id = models.CharField(max_length=20, blank=True)
    iban = models.CharField(max_length=34, validators=[validate_iban])
    bic = models.CharField(max_length=11, blank=True)
    contact_name = models.CharField(max_length=120)
    contact_phone = models.CharField(max_length=40)
    contact_email = models.EmailField()
    # Register entry (BT-30), e.g. "VR 4711, Amtsgericht Musterstadt": a Träger without a
    # VAT id is identified by it on the invoice (EN 16931 BR-CO-26).
    registereintrag = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        verbose_name = "Trägerprofil"
        verbose_name_plural = "Trägerprofile"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="traegerprofil_uniq")]


class Einrichtung(TenantOwned):
    """A facility of a provider with its licence (§ 45 SGB VIII) and what it offers."""

    fachbereich = models.ForeignKey(Fachbereich, on_delete=models.PROTECT)
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=120, blank=True)
    lat = models.FloatField()
    lon = models.FloatField()
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    licence_number = models.CharField(max_length=60, blank=True)
    licence_date = models.DateField(null=True, blank=True)
    licence_conditions = models.TextField(blank=True)
    age_min = models.PositiveSmallIntegerField(default=0)
    age_max = models.PositiveSmallIntegerField(default=18)
    accepts_w = models.BooleanField(default=True)
    accepts_m = models.BooleanField(default=True)
    accepts_d = models.BooleanField(default=True)
    formen = models.ManyToManyField(Betreuungsform, related_name="einrichtungen")
    merkmale = models.ManyToManyField(Merkmal, blank=True, related_name="einrichtungen")
    aufsicht = models.ForeignKey(
        "tenancy.Mandant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="beaufsichtigte_einrichtungen",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Einrichtung"
        verbose_name_plural = "Einrichtungen"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__lte=models.F("age_max")), name="einrichtung_age_range"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def accepts(self, geschlecht: str) -> bool:
        return bool(getattr(self, f"accepts_{geschlecht}", False))


class AbsenceRounding(models.TextChoices):
    PER_DAY = "tag", "je Tag auf Cent gerundet"
    PER_LINE = "position", "je Rechnungsposition auf Cent gerundet"


class Angebot(TenantOwned):
    """A service offer of a facility in one form of care; its day rates are Entgelte."""

    einrichtung = models.ForeignKey(Einrichtung, on_delete=models.PROTECT, related_name="angebote")
    betreuungsform = models.ForeignKey(Betreuungsform, on_delete=models.PROTECT)
    title = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    # How the reduced day price of absence days is rounded to cents, as the contract
    # (Entgeltvereinbarung) says: per day (the default: the contract names a day price,
    # which is then billed per day) or once per invoice line.
    absence_rounding = models.CharField(
        max_length=10, choices=AbsenceRounding.choices, default=AbsenceRounding.PER_DAY
    )

    class Meta:
        verbose_name = "Angebot"
        verbose_name_plural = "Angebote"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Entgelt(TenantOwned):
    """Day rate of an Angebot for a period (§§ 78a ff. SGB VIII): its components add up."""

    angebot = models.ForeignKey(Angebot, on_delete=models.PROTECT, related_name="entgelte")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    leistungsentgelt = models.DecimalField(max_digits=9, decimal_places=2)
    grundleistung = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    investitionsbetrag = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"))
    absence_share = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("75.00"))

    class Meta:
        verbose_name = "Entgelt"
        verbose_name_plural = "Entgelte"
        ordering = ["angebot", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["angebot", "valid_from"], name="entgelt_from_uniq"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="entgelt_period",
            ),
            models.CheckConstraint(
                condition=Q(leistungsentgelt__gte=0)
                & Q(grundleistung__gte=0)
                & Q(investitionsbetrag__gte=0)
                & Q(absence_share__gte=0)
                & Q(absence_share__lte=100),
                name="entgelt_amounts",
            ),
        ]

    @property
    def tagessatz(self) -> Decimal:
        return self.leistungsentgelt + self.grundleistung + self.investitionsbetrag


class Platz(TenantOwned):
    """One place. It exists from ``valid_from`` to ``valid_to`` (capacity per period) and is
    offered in the exchange from ``frei_ab``. Whether it is free is never stored: it is
    computed from the Reservierungen and Belegungen on it."""

    einrichtung = models.ForeignKey(Einrichtung, on_delete=models.PROTECT, related_name="plaetze")
    angebot = models.ForeignKey(Angebot, on_delete=models.PROTECT, related_name="plaetze")
    label = models.CharField(max_length=120)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    frei_ab = models.DateField(null=True, blank=True)
    # A standby place (Vorhalteplatz) is paid by the contracting youth office every day,
    # occupied or not.
    is_standby = models.BooleanField(default=False)
    standby_jugendamt = models.ForeignKey(
        "tenancy.Mandant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Platz"
        verbose_name_plural = "Plätze"
        ordering = ["label"]
        indexes = [models.Index(fields=["angebot", "frei_ab"], name="platz_angebot_frei")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_standby=False) | Q(standby_jugendamt__isnull=False),
                name="platz_standby_payer",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def standby_label(self) -> str:
        """The place named as a standby place, without saying so twice ("Vorhalteplatz 5"
        stays as it is, "3" becomes "Vorhalteplatz 3")."""
        if self.label.casefold().startswith("vorhalteplatz"):
            return self.label
        return f"Vorhalteplatz {self.label}"


# --- youth office side ---------------------------------------------------------------


class Platzgesuch(TenantOwned):
    """The pseudonymous need of one person: nothing here names them."""

    class Status(models.TextChoices):
        OFFEN = "offen", "offen"
        VERMITTELT = "vermittelt", "vermittelt"
        ZURUECKGEZOGEN = "zurueckgezogen", "zurückgezogen"

    fachbereich = models.ForeignKey(Fachbereich, on_delete=models.PROTECT)
    betreuungsform = models.ForeignKey(Betreuungsform, on_delete=models.PROTECT)
    pseudonym = models.CharField(max_length=40)
    alter = models.PositiveSmallIntegerField()
    geschlecht = models.CharField(max_length=1, choices=Geschlecht.choices)
    ab_datum = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    radius_km = models.PositiveSmallIntegerField(default=50)
    merkmale = models.ManyToManyField(Merkmal, blank=True)
    # The youth office's cost commitment or file number for this case; the invoices of
    # its Belegungen carry it as the contract reference (BT-12).
    kostenzusage = models.CharField("Kostenzusage/Aktenzeichen", max_length=60, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Platzgesuch"
        verbose_name_plural = "Platzgesuche"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "pseudonym"], name="gesuch_pseudonym_uniq")
        ]

    def __str__(self) -> str:
        return self.pseudonym


class Reservierung(TenantOwned):
    """A hold on one place for one Platzgesuch. An open hold counts only while
    ``expires_at`` lies ahead: expiry is a time filter, not a job."""

    class Status(models.TextChoices):
        OFFEN = "offen", "angefragt"
        ZUGESAGT = "zugesagt", "zugesagt"
        ABGESAGT = "abgesagt", "abgesagt"
        ZURUECKGEZOGEN = "zurueckgezogen", "zurückgezogen"
        ABGELAUFEN = "abgelaufen", "abgelaufen"

    objects = PartyManager()  # type: ignore[misc]

    platz = models.ForeignKey(Platz, on_delete=models.PROTECT, related_name="reservierungen")
    gesuch = models.ForeignKey(Platzgesuch, on_delete=models.PROTECT, related_name="reservierungen")
    jugendamt = models.ForeignKey("tenancy.Mandant", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFEN)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "Reservierung"
        verbose_name_plural = "Reservierungen"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["platz", "status", "expires_at"], name="res_platz_open")]
        constraints = [
            # At most one open hold per place; expired holds are closed inside the locked
            # section before a new one is written, so the index never blocks a free place.
            models.UniqueConstraint(
                fields=["platz"], condition=Q(status="offen"), name="reservierung_one_open"
            ),
            # One hold per need and place.
            models.UniqueConstraint(
                fields=["gesuch", "platz"],
                condition=Q(status="offen"),
                name="reservierung_gesuch_platz",
            ),
        ]


class Belegung(TenantOwned):
    """Occupancy of a place by the person of one Platzgesuch, from ``beginn`` to ``ende``
    (inclusive; open while ``ende`` is empty)."""

    class Endegrund(models.TextChoices):
        PLANMAESSIG = "planmaessig", "planmäßige Beendigung"
        RUECKFUEHRUNG = "rueckfuehrung", "Rückkehr in die Familie"
        WECHSEL = "wechsel", "Wechsel in andere Einrichtung"
        ABBRUCH = "abbruch", "Abbruch"
        VOLLJAEHRIGKEIT = "volljaehrigkeit", "Verselbständigung/Volljährigkeit"
        SONSTIGES = "sonstiges", "Sonstiges"

    objects = PartyManager()  # type: ignore[misc]

    platz = models.ForeignKey(Platz, on_delete=models.PROTECT, related_name="belegungen")
    einrichtung = models.ForeignKey(Einrichtung, on_delete=models.PROTECT, related_name="+")
    angebot = models.ForeignKey(Angebot, on_delete=models.PROTECT, related_name="+")
    gesuch = models.ForeignKey(Platzgesuch, on_delete=models.PROTECT, related_name="belegungen")
    reservierung = models.OneToOneField(
        Reservierung, null=True, blank=True, on_delete=models.PROTECT, related_name="belegung"
    )
    jugendamt = models.ForeignKey("tenancy.Mandant", on_delete=models.PROTECT, related_name="+")
    # Snapshot for the statistics: the need may change later, the statistics must not.
    alter_bei_beginn = models.PositiveSmallIntegerField()
    geschlecht = models.CharField(max_length=1, choices=Geschlecht.choices)
    beginn = models.DateField()
    ende = models.DateField(null=True, blank=True)
    ende_grund = models.CharField(max_length=20, choices=Endegrund.choices, blank=True)
    ende_bemerkung = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Belegung"
        verbose_name_plural = "Belegungen"
        ordering = ["-beginn"]
        indexes = [
            models.Index(fields=["platz", "ende"], name="belegung_platz_ende"),
            models.Index(fields=["tenant", "beginn"], name="belegung_beginn"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["platz"], condition=Q(ende__isnull=True), name="belegung_one_open_per_platz"
            ),
            models.UniqueConstraint(
                fields=["gesuch"], condition=Q(ende__isnull=True), name="belegung_one_open_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(ende__isnull=True) | Q(ende__gte=models.F("beginn")),
                name="belegung_period",
            ),
            models.CheckConstraint(
                condition=Q(ende__isnull=True) | ~Q(ende_grund=""), name="belegung_end_reason"
            ),
        ]


class Abwesenheit(TenantOwned):
    """Days a placed person was away (holiday at home, hospital); paid at a share."""

    belegung = models.ForeignKey(Belegung, on_delete=models.PROTECT, related_name="abwesenheiten")
    von = models.DateField()
    bis = models.DateField()
    grund = models.CharField(max_length=200)

    class Meta:
        verbose_name = "Abwesenheit"
        verbose_name_plural = "Abwesenheiten"
        ordering = ["von"]
        constraints = [
            models.CheckConstraint(condition=Q(bis__gte=models.F("von")), name="abwesenheit_period")
        ]


# --- billing -------------------------------------------------------------------------


class Leistungsnachweis(TenantOwned):
    """One month of services for one Belegung (or one standby place), computed from the
    occupancy days; the provider confirms it, then it becomes one invoice."""

    class Status(models.TextChoices):
        ENTWURF = "entwurf", "Entwurf"
        BESTAETIGT = "bestaetigt", "bestätigt"
        ABGERECHNET = "abgerechnet", "abgerechnet"
        # Its invoice was rejected and a correction took its place; kept as it was billed.
        ERSETZT = "ersetzt", "ersetzt durch Korrektur"

    objects = PartyManager()  # type: ignore[misc]

    belegung = models.ForeignKey(
        Belegung, null=True, blank=True, on_delete=models.PROTECT, related_name="nachweise"
    )
    platz = models.ForeignKey(Platz, on_delete=models.PROTECT, related_name="nachweise")
    jugendamt = models.ForeignKey("tenancy.Mandant", on_delete=models.PROTECT, related_name="+")
    monat = models.DateField()  # first day of the month
    period_start = models.DateField()
    period_end = models.DateField()
    anwesenheitstage = models.PositiveSmallIntegerField(default=0)
    abwesenheitstage = models.PositiveSmallIntegerField(default=0)
    vorhaltetage = models.PositiveSmallIntegerField(default=0)
    positionen = models.JSONField(default=list)
    betrag = models.DecimalField(max_digits=11, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ENTWURF)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The Nachweis this one corrects (whose invoice the youth office rejected).
    korrektur_von = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="korrektur"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Leistungsnachweis"
        verbose_name_plural = "Leistungsnachweise"
        ordering = ["-monat"]
        constraints = [
            # One current Nachweis per month; replaced ones (after a rejection) stay.
            models.UniqueConstraint(
                fields=["belegung", "monat"],
                condition=Q(belegung__isnull=False) & ~Q(status="ersetzt"),
                name="nachweis_belegung_monat",
            ),
            models.UniqueConstraint(
                fields=["platz", "monat"],
                condition=Q(belegung__isnull=True) & ~Q(status="ersetzt"),
                name="nachweis_standby_monat",
            ),
        ]


class Rechnung(TenantOwned):
    """An XRechnung (CII) for one Leistungsnachweis, addressed to the youth office's
    Leitweg-ID. It can be sent only when all three conformance checks passed."""

    class Status(models.TextChoices):
        UNGUELTIG = "ungueltig", "fehlerhaft (nicht versendbar)"
        BEREIT = "bereit", "geprüft, bereit zum Versand"
        VERSENDET = "versendet", "versendet"
        FREIGEGEBEN = "freigegeben", "freigegeben"
        ABGELEHNT = "abgelehnt", "abgelehnt"

    objects = PartyManager()  # type: ignore[misc]

    nachweis = models.OneToOneField(
        Leistungsnachweis, on_delete=models.PROTECT, related_name="rechnung"
    )
    jugendamt = models.ForeignKey("tenancy.Mandant", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40)
    issue_date = models.DateField()
    leitweg_id = models.CharField(max_length=60)
    total = models.DecimalField(max_digits=11, decimal_places=2)
    xml_sha256 = models.CharField(max_length=64)
    findings = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Rechnung"
        verbose_name_plural = "Rechnungen"
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="rechnung_number_uniq")
        ]


class Rechnungsanschrift(TenantOwned):
    """Where a youth office (or another paying authority) receives invoices: the buyer's
    name and postal address on every XRechnung addressed to it (BT-44, BG-8). Its
    Leitweg-ID is the Mandant's own."""

    bezeichnung = models.CharField(max_length=200, blank=True)
    street = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10)
    city = models.CharField(max_length=100)

    class Meta:
        verbose_name = "Rechnungsanschrift"
        verbose_name_plural = "Rechnungsanschriften"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="rechnungsanschrift_uniq")]


# --- § 47 SGB VIII --------------------------------------------------------------------


class Meldung(TenantOwned):
    """A mandatory notification of a facility to the Landesjugendamt (§ 47 SGB VIII)."""

    class Art(models.TextChoices):
        BETRIEBSAUFNAHME = "betriebsaufnahme", "Betriebsaufnahme"
        AENDERUNG = "aenderung", "Änderung mit Bedeutung für die Betriebserlaubnis"
        VORKOMMNIS = "vorkommnis", "Besonderes Vorkommnis"
        SCHLIESSUNG = "schliessung", "Bevorstehende Schließung"
        JAHRESMELDUNG = "jahresmeldung", "Jährliche Belegungsmeldung"

    class Status(models.TextChoices):
        EINGEGANGEN = "eingegangen", "eingegangen"
        BESTAETIGT = "bestaetigt", "Eingang bestätigt"
        RUECKFRAGE = "rueckfrage", "Rückfrage"
        ABGESCHLOSSEN = "abgeschlossen", "abgeschlossen"

    objects = PartyManager()  # type: ignore[misc]

    einrichtung = models.ForeignKey(Einrichtung, on_delete=models.PROTECT, related_name="meldungen")
    # The receiving Landesjugendamt is the "jugendamt" party of this row.
    jugendamt = models.ForeignKey("tenancy.Mandant", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40)
    art = models.CharField(max_length=20, choices=Art.choices)
    ereignis_datum = models.DateField()
    betreff = models.CharField(max_length=200)
    inhalt = models.TextField()
    daten = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.EINGEGANGEN)
    eingereicht_at = models.DateTimeField()
    eingereicht_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frist = models.DateField()
    quittung_sha256 = models.CharField(max_length=64, blank=True)
    bestaetigt_at = models.DateTimeField(null=True, blank=True)
    bestaetigt_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    antwort = models.TextField(blank=True)
    aufbewahren_bis = models.DateField()

    class Meta:
        verbose_name = "Meldung nach § 47 SGB VIII"
        verbose_name_plural = "Meldungen nach § 47 SGB VIII"
        ordering = ["-eingereicht_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="meldung_number_uniq")
        ]


class Verfuegbarkeit(models.Model):
    """Append-only feed of availability changes, the source of the live updates
    (server-sent events) in the search page. Carries no personal data."""

    id = models.BigAutoField(primary_key=True)
    angebot_id = models.UUIDField()
    einrichtung_id = models.UUIDField()
    betreuungsform_id = models.UUIDField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Verfügbarkeitsänderung"
        verbose_name_plural = "Verfügbarkeitsänderungen"

    def __str__(self) -> str:
        return f"Änderung {self.pk}"
