"""The rows a checkout package carries, in dependency order (a row's foreign keys point to
rows earlier in the list, or to rows of the same model: both sides' foreign keys are
checked at commit). Build, import and wipe share this one list."""

from __future__ import annotations

from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts.models import Membership, User
from koffer.field.models import Ausleihe, Geraet
from koffer.forms.models import Formular, Formularversion
from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage, VorlagenVersion
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    AkteSubjekt,
    AkteZugriff,
    Bedarfsgemeinschaft,
    BgMitglied,
    Dokument,
    DokumentVersion,
    Frist,
    FristRegel,
    Person,
    Vorgang,
    VorgangSchritt,
    VorgangTyp,
    Wiedervorlage,
)
from koffer.tenancy.models import Mandant, Organisationseinheit

FORMAT = 1

ORDER: tuple[type[models.Model], ...] = (
    Mandant,
    Organisationseinheit,
    User,
    Membership,
    TOTPDevice,
    Geraet,
    Aktenplaneinheit,
    VorgangTyp,
    FristRegel,
    Person,
    Bedarfsgemeinschaft,
    BgMitglied,
    Akte,
    AkteSubjekt,
    AkteZugriff,
    Ausleihe,
    Vorgang,
    VorgangSchritt,
    Frist,
    Dokument,
    DokumentVersion,
    Wiedervorlage,
    Formular,
    Formularversion,
    Briefkopf,
    Textbaustein,
    Vorlage,
    VorlagenVersion,
)

LABELS: dict[str, type[models.Model]] = {m._meta.label_lower: m for m in ORDER}

# Written once, never changed (the Formulare's and the Postausgang's versions refuse UPDATE
# by a database trigger; a document version is immutable by design): inserted when absent.
IMMUTABLE: frozenset[type[models.Model]] = frozenset(
    {Formularversion, VorlagenVersion, DokumentVersion}
)

# The Mandant's configuration without personal data: kept when a Koffer is wiped (the
# Akten, people, documents, accounts, forms and templates go).
KEPT_ON_WIPE: frozenset[type[models.Model]] = frozenset(
    {Mandant, Organisationseinheit, Aktenplaneinheit, VorgangTyp, FristRegel}
)

# Foreign keys that point forwards in ORDER (a row and its current version); emptied
# before a wipe deletes the versions, so that neither side protects the other.
CYCLES: tuple[tuple[type[models.Model], str], ...] = (
    (Dokument, "current_version"),
    (Formular, "aktuelle_version"),
    (Vorlage, "aktuelle_version"),
)

# The rows under a carried Akte whose ids every package lists (``bestand``), with the way
# from a row to its Akte: a row the Koffer has from the office (a base version) in a
# listed Akte that the list no longer names was removed in the office (deleted, or moved
# to another Akte) and goes on the Koffer too — unless it was changed here and not yet
# sent (then the next push meets the deletion and says so, and the pull after removes it).
IM_BESTAND: dict[type[models.Model], str] = {
    AkteSubjekt: "akte_id",
    AkteZugriff: "akte_id",
    Vorgang: "akte_id",
    VorgangSchritt: "vorgang__akte_id",
    Frist: "vorgang__akte_id",
    Dokument: "akte_id",
    DokumentVersion: "dokument__akte_id",
    Wiedervorlage: "akte_id",
}
