"""Online-Dienste: citizens' accounts (BundID or e-mail), their authority to act for
others, and what the SAML sign-in must remember. Citizens are never staff users."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from koffer.tenancy.scoping import TenantOwned


class Vertrauensniveau(models.TextChoices):
    """The eIDAS-like level of assurance of a sign-in (portal.saml maps them to
    AuthnContextClassRef values)."""

    NIEDRIG = "niedrig", "niedrig"
    SUBSTANTIELL = "substantiell", "substantiell"
    HOCH = "hoch", "hoch"


RANG: dict[str, int] = {
    Vertrauensniveau.NIEDRIG: 1,
    Vertrauensniveau.SUBSTANTIELL: 2,
    Vertrauensniveau.HOCH: 3,
}


class PortalEinstellung(TenantOwned):
    """A Mandant's portal settings; no row: the defaults (e-mail accounts off)."""

    email_konten_erlaubt = models.BooleanField("Konten mit E-Mail-Adresse erlaubt", default=False)
    # Citizens may ask for a home visit (portal.hausbesuch); the requests go to the visit
    # planning of this unit (whoever edits its Akten plans them).
    hausbesuche_angeboten = models.BooleanField("Hausbesuche auf Anfrage", default=False)
    hausbesuche_unit = models.ForeignKey(
        "tenancy.Organisationseinheit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Planung der Hausbesuche",
    )
    # Letters of the Postausgang delivered to the citizen's mailbox (§ 37 Abs. 2a SGB X).
    elektronische_zustellung_erlaubt = models.BooleanField(
        "Zustellung ins Bürgerpostfach erlaubt", default=False
    )

    class Meta:
        verbose_name = "Portal-Einstellung"
        verbose_name_plural = "Portal-Einstellungen"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="portal_einstellung_tenant_uniq"),
            models.CheckConstraint(
                condition=Q(hausbesuche_angeboten=False) | Q(hausbesuche_unit__isnull=False),
                name="portal_einstellung_hausbesuche_unit",
            ),
        ]


class Buergerkonto(TenantOwned):
    """A citizen's account at one Mandant's portal. ``kennung`` is the BundID pseudonym
    (the SAML NameID) or ``email:<address>``."""

    class Art(models.TextChoices):
        BUNDID = "bundid", "BundID"
        EMAIL = "email", "E-Mail-Adresse"

    kennung = models.CharField("Kennung", max_length=300)
    art = models.CharField("Art", max_length=10, choices=Art.choices)
    vertrauensniveau = models.CharField(
        "Vertrauensniveau", max_length=15, choices=Vertrauensniveau.choices
    )
    family_name = models.CharField("Familienname", max_length=120, blank=True)
    given_names = models.CharField("Vornamen", max_length=200, blank=True)
    birth_date = models.DateField("Geburtsdatum", null=True, blank=True)
    street = models.CharField("Straße und Hausnummer", max_length=200, blank=True)
    postal_code = models.CharField("PLZ", max_length=10, blank=True)
    city = models.CharField("Ort", max_length=120, blank=True)
    email = models.CharField("E-Mail", max_length=254, blank=True)
    email_bestaetigt_am = models.DateTimeField("E-Mail bestätigt am", null=True, blank=True)
    # Linked by the office, or automatically by a sign-in at level "hoch" that matched
    # exactly one person (portal.verknuepfung).
    person = models.ForeignKey(
        "records.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The consent to electronic delivery into the mailbox (§ 36a Abs. 1 SGB I, § 37 Abs.
    # 2a SGB X), with its date; None: never given or revoked (the audit keeps both).
    postfach_einwilligung_am = models.DateTimeField(
        "Einwilligung in die elektronische Zustellung am", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    letzte_anmeldung = models.DateTimeField("Letzte Anmeldung", null=True, blank=True)

    class Meta:
        verbose_name = "Bürgerkonto"
        verbose_name_plural = "Bürgerkonten"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kennung"], name="buergerkonto_kennung_uniq")
        ]

    def __str__(self) -> str:
        return actor_label(self.kennung)

    @property
    def anzeigename(self) -> str:
        name = f"{self.given_names} {self.family_name}".strip()
        return name or self.email or "Bürgerkonto"


def actor_label(kennung: str) -> str:
    """How a citizen is named in the audit log: never the whole pseudonym or address."""
    if kennung.startswith("email:"):
        local, _, domain = kennung.removeprefix("email:").partition("@")
        return f"Bürger:in {local[:3]}…@{domain}"
    return f"Bürger:in {kennung[:8]}…"


class EmailZugang(TenantOwned):
    """The password of an e-mail account (Django's hashers); staff users live elsewhere."""

    konto = models.OneToOneField(Buergerkonto, on_delete=models.CASCADE, related_name="zugang")
    password = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "E-Mail-Zugang"
        verbose_name_plural = "E-Mail-Zugänge"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "konto"], name="email_zugang_konto_uniq")
        ]


class Vertretung(TenantOwned):
    """A citizen's authority to act for a person. Requested with the person's name and
    birth date; the office finds the person and confirms (``bestaetigt_von``)."""

    class Art(models.TextChoices):
        BETREUUNG = "betreuung", "Rechtliche Betreuung"
        VOLLMACHT = "vollmacht", "Vollmacht"
        ELTERNTEIL = "elternteil", "Elternteil (Sorgerecht)"

    konto = models.ForeignKey(Buergerkonto, on_delete=models.CASCADE, related_name="vertretungen")
    # Set by the office when it confirms; the citizen only names the person.
    person = models.ForeignKey(
        "records.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    family_name = models.CharField("Familienname der vertretenen Person", max_length=120)
    given_names = models.CharField("Vornamen der vertretenen Person", max_length=200)
    birth_date = models.DateField("Geburtsdatum der vertretenen Person")
    art = models.CharField("Art der Vertretung", max_length=12, choices=Art.choices)
    nachweis = models.TextField(
        "Nachweis",
        help_text="Aktenzeichen des Betreuungsgerichts, "
        "Datum der Vollmacht oder Verweis auf das Dokument",
    )
    gueltig_bis = models.DateField("Gültig bis", null=True, blank=True)
    beantragt_am = models.DateTimeField(auto_now_add=True)
    bestaetigt_von = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bestaetigt_am = models.DateTimeField(null=True, blank=True)
    abgelehnt_am = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Vertretung"
        verbose_name_plural = "Vertretungen"
        constraints = [
            models.CheckConstraint(
                condition=Q(bestaetigt_am__isnull=True) | Q(person__isnull=False),
                name="vertretung_bestaetigt_mit_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_art_display()} für {self.family_name}, {self.given_names}"


class SamlAssertion(TenantOwned):
    """An assertion already used for a sign-in, kept until its NotOnOrAfter so that a
    replay is refused (the unique constraint is the guard)."""

    assertion_id = models.CharField(max_length=200)
    gueltig_bis = models.DateTimeField()
    eingegangen_am = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SAML-Assertion"
        verbose_name_plural = "SAML-Assertions"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "assertion_id"], name="saml_assertion_uniq")
        ]


class OnlineAngebot(TenantOwned):
    """A form of the catalogue offered online at this Mandant's portal. Whoever switched
    it on is the provider of its deliveries to the Posteingang, and ``unit`` the team
    whose triage gets a submission that could not be filed into an Akte."""

    formular = models.ForeignKey("forms.Formular", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="+"
    )
    eingerichtet_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    eingerichtet_am = models.DateTimeField()
    aktiv = models.BooleanField(default=True)

    class Meta:
        verbose_name = "Online-Angebot"
        verbose_name_plural = "Online-Angebote"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "formular"], name="portal_angebot_uniq")
        ]

    def __str__(self) -> str:
        return f"Online-Angebot {self.formular_id}"


class Antrag(TenantOwned):
    """A citizen's online application: the answers as entered (a draft of the account,
    server-side, so it resumes on any device), on the form version it began on.
    ``version`` counts saves: a save that names an older one came from a stale page (a
    second device) and is refused without losing the typed answers. Submitted, it keeps
    the checked ``werte``, their SHA-256 (``pruefsumme``), the receipt PDF's blob and the
    Posteingang's document."""

    class Status(models.TextChoices):
        OFFEN = "offen", "in Bearbeitung"
        EINGEREICHT = "eingereicht", "eingereicht"

    konto = models.ForeignKey(Buergerkonto, on_delete=models.PROTECT, related_name="antraege")
    angebot = models.ForeignKey(OnlineAngebot, on_delete=models.PROTECT, related_name="+")
    formularversion = models.ForeignKey(
        "forms.Formularversion", on_delete=models.PROTECT, related_name="+"
    )
    # For whom (None: the account's own person or data); a represented person always
    # with the Vertretung it was begun under, checked again at every save and submit.
    person = models.ForeignKey(
        "records.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vertretung = models.ForeignKey(
        Vertretung, null=True, blank=True, on_delete=models.PROTECT, related_name="antraege"
    )
    antworten = models.JSONField(default=dict, blank=True)
    vorbelegt = models.JSONField(default=dict, blank=True)
    schritt = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFEN)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    eingereicht_am = models.DateTimeField(null=True, blank=True)
    werte = models.JSONField(default=dict, blank=True)
    pruefsumme = models.CharField("SHA-256", max_length=64, blank=True)
    quittung_sha256 = models.CharField(max_length=64, blank=True)
    eingang = models.ForeignKey(
        "inbox.Eingangsdokument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "Online-Antrag"
        verbose_name_plural = "Online-Anträge"
        indexes = [models.Index(fields=["tenant", "konto", "status"], name="portal_antrag_konto")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="offen") | ~Q(pruefsumme=""),
                name="portal_antrag_eingereicht_mit_summe",
            ),
            models.CheckConstraint(
                condition=Q(vertretung__isnull=True) | Q(person__isnull=False),
                name="portal_antrag_vertretung_mit_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Online-Antrag {self.pk}"


class Nachforderung(TenantOwned):
    """A caseworker's request for documents about an online application (its Vorgang):
    the items (``posten``), a deadline, a note for the citizen. ``person`` is the one the
    Akte is about: a citizen sees the request only while they may act for that person
    (``portal.access.personen_des_kontos``). ``wiedervorlage`` is the caseworker's at the
    deadline, done when the answer arrives."""

    class Status(models.TextChoices):
        OFFEN = "offen", "offen"
        BEANTWORTET = "beantwortet", "beantwortet"

    antrag = models.ForeignKey(Antrag, on_delete=models.PROTECT, related_name="nachforderungen")
    vorgang = models.ForeignKey("records.Vorgang", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("records.Person", on_delete=models.PROTECT, related_name="+")
    frist = models.DateField("Frist")
    hinweis = models.TextField("Hinweis für die Bürgerin oder den Bürger", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFEN)
    erstellt_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    erstellt_am = models.DateTimeField()
    beantwortet_am = models.DateTimeField(null=True, blank=True)
    wiedervorlage = models.ForeignKey(
        "records.Wiedervorlage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "Nachforderung"
        verbose_name_plural = "Nachforderungen"
        indexes = [
            models.Index(fields=["tenant", "antrag", "erstellt_am"], name="portal_nf_antrag"),
            models.Index(fields=["tenant", "vorgang"], name="portal_nf_vorgang"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="offen") | Q(beantwortet_am__isnull=False),
                name="portal_nf_beantwortet_mit_datum",
            )
        ]

    def __str__(self) -> str:
        return f"Nachforderung {self.pk}"


class NachforderungPosten(TenantOwned):
    """One thing asked for („Mietbescheinigung“). Answered, ``eingang`` is the
    Posteingang's document that brought it (filed into the Vorgang)."""

    nachforderung = models.ForeignKey(
        Nachforderung, on_delete=models.CASCADE, related_name="posten"
    )
    position = models.PositiveSmallIntegerField()
    text = models.CharField("Unterlage", max_length=300)
    beantwortet_am = models.DateTimeField(null=True, blank=True)
    eingang = models.ForeignKey(
        "inbox.Eingangsdokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Angeforderte Unterlage"
        verbose_name_plural = "Angeforderte Unterlagen"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "nachforderung", "position"], name="portal_nf_posten_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.text


class NachforderungDatei(TenantOwned):
    """A file the citizen uploaded for one item, inspected like an application's upload
    and kept as a blob until the answer is sent (then it is part of the item's PDF)."""

    posten = models.ForeignKey(
        NachforderungPosten, on_delete=models.CASCADE, related_name="dateien"
    )
    blob = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    typ = models.CharField(max_length=100)
    groesse = models.PositiveBigIntegerField()
    hochgeladen_am = models.DateTimeField()

    class Meta:
        verbose_name = "Nachgereichte Datei"
        verbose_name_plural = "Nachgereichte Dateien"
        ordering = ["hochgeladen_am", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "posten", "blob"], name="portal_nf_datei_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Nachricht(TenantOwned):
    """One message of the thread about a Vorgang, both ways. A citizen's message is filed
    in the Vorgang through the Posteingang (``eingang``, a document with a Wiedervorlage
    for its caseworker); the office's answer is filed as an outgoing document
    (``dokument``) and shows in the citizen's mailbox with an e-mail notice."""

    class Richtung(models.TextChoices):
        EINGANG = "eingang", "an die Verwaltung"
        AUSGANG = "ausgang", "von der Verwaltung"

    vorgang = models.ForeignKey("records.Vorgang", on_delete=models.PROTECT, related_name="+")
    richtung = models.CharField(max_length=8, choices=Richtung.choices)
    konto = models.ForeignKey(
        Buergerkonto, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verfasst_von = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField("Nachricht")
    pdf_sha256 = models.CharField(max_length=64)
    eingang = models.ForeignKey(
        "inbox.Eingangsdokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dokument = models.ForeignKey(
        "records.Dokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    benachrichtigt_am = models.DateTimeField(null=True, blank=True)
    gelesen_am = models.DateTimeField(null=True, blank=True)  # an answer first read

    class Meta:
        verbose_name = "Nachricht"
        verbose_name_plural = "Nachrichten"
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["tenant", "vorgang", "created_at"], name="portal_nachricht_vorgang"
            ),
            models.Index(fields=["tenant", "konto", "created_at"], name="portal_nachricht_konto"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(richtung="eingang") & Q(konto__isnull=False))
                | (Q(richtung="ausgang") & Q(verfasst_von__isnull=False)),
                name="portal_nachricht_verfasser",
            )
        ]

    def __str__(self) -> str:
        return f"Nachricht {self.pk}"


class NachrichtAnlage(TenantOwned):
    """A file that came with a message: the citizen's upload — inspected, made one PDF
    and delivered through the Posteingang into the message's Vorgang (``eingang``) —, or
    a document of the Akte the office's answer carries (``dokument``), which the citizen
    downloads from the thread."""

    nachricht = models.ForeignKey(Nachricht, on_delete=models.CASCADE, related_name="anlagen")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    eingang = models.ForeignKey(
        "inbox.Eingangsdokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dokument = models.ForeignKey(
        "records.Dokument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "Anlage einer Nachricht"
        verbose_name_plural = "Anlagen von Nachrichten"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "nachricht", "position"], name="portal_nachricht_anlage_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Drosselung(TenantOwned):
    """One counted request of a rate-limited portal action (``portal.drossel``):
    ``schluessel`` names the action and what it counts against (an account, an address,
    a client address), hashed. Rows older than the longest window are deleted as new
    ones arrive."""

    schluessel = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "Drosselung"
        verbose_name_plural = "Drosselungen"
        indexes = [
            models.Index(fields=["tenant", "schluessel", "at"], name="portal_drossel_key_at"),
            models.Index(fields=["tenant", "at"], name="portal_drossel_at"),
        ]


class PortalMail(TenantOwned):
    """An e-mail of the e-mail accounts (``portal.emailkonten``: the confirmation link,
    „you have an account“, „there is none“), sent off the request by the job
    ``portal.email`` — a failed send fails that job, which can be retried. The text is
    made when it is sent; the address is cleared once it went out."""

    class Art(models.TextChoices):
        LINK = "link", "Bestätigungslink"
        BEKANNT = "bekannt", "Hinweis: Konto vorhanden"
        UNBEKANNT = "unbekannt", "Hinweis: kein Konto"

    art = models.CharField(max_length=12, choices=Art.choices)
    konto = models.ForeignKey(
        Buergerkonto, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    adresse = models.EmailField(max_length=254, blank=True)
    erstellt_am = models.DateTimeField()
    gesendet_am = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "E-Mail der Online-Dienste"
        verbose_name_plural = "E-Mails der Online-Dienste"

    def __str__(self) -> str:
        return f"{self.get_art_display()} ({self.erstellt_am:%d.%m.%Y %H:%M})"
