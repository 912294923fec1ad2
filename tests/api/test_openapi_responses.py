"""Real answers of every GET endpoint, with the demo district's data, conform to the
committed docs/openapi.json: what generated clients are built from must be true."""

from __future__ import annotations

import json
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model
from django.test import Client
from ninja.openapi.schema import OpenAPISchema

from koffer.accounts import services as accounts
from koffer.accounts.models import Membership, User
from koffer.accounts.roles import Perm
from koffer.demo import district
from koffer.field.experte import services as experte
from koffer.field.geraete import services as geraete
from koffer.field.models import Ausleihe, Sitzung
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.models import Einreichung, Entwurf, Formular, Formularversion
from koffer.inbox.models import Importlauf, Stapel, Vernichtungsliste
from koffer.jobs.models import Job
from koffer.outbox.models import Brief, Versandstapel, Vorlage
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Meldung,
    Rechnung,
)
from koffer.portal.antrag import services as antraege
from koffer.portal.models import (
    Antrag,
    Buergerkonto,
    Nachforderung,
    NachrichtAnlage,
    OnlineAngebot,
)
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.naming import IncomingFile
from koffer.records.models import (
    Akte,
    Aktenauszug,
    Aktenplaneinheit,
    Dokument,
    DokumentVersion,
    Vorgang,
)
from koffer.tenancy.models import Organisationseinheit
from tests.api.jsonschema_check import errors
from tests.factories import portal as portal_factories
from tests.factories import records as record_factories

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# Which table a path or query parameter names; tried in the signed-in user's Mandanten.
ROWS: dict[str, type[Model]] = {
    "akte_id": Akte,
    "anlage_id": NachrichtAnlage,
    "auszug_id": Aktenauszug,
    "dokument_id": Dokument,
    "vorgang_id": Vorgang,
    "job_id": Job,
    "angebot_id": Angebot,
    "belegung_id": Belegung,
    "einrichtung_id": Einrichtung,
    "meldung_id": Meldung,
    "rechnung_id": Rechnung,
    "unit_id": Organisationseinheit,
    "stapel_id": Stapel,
    "lauf_id": Importlauf,
    "liste_id": Vernichtungsliste,
    "vorlage_id": Vorlage,
    "brief_id": Brief,
    "versandstapel_id": Versandstapel,
    "entwurf_id": Entwurf,
    "einreichung_id": Einreichung,
    "sitzung_id": Sitzung,
    "antrag_id": Antrag,
    "nachforderung_id": Nachforderung,
}
# Parameters that name a row by another column than its id.
KEYS: dict[str, tuple[type[Model], str]] = {
    "schluessel": (Formular, "schluessel"),
    "nummer": (Formularversion, "nummer"),
}
CANDIDATES = 4  # ids tried per user before the next user is asked
# A client, the Mandanten of its user, and ids to try for some parameters instead of the
# Mandant's first rows (a citizen reaches only its own letters, Vorgänge, requests).
Nutzer = tuple[Client, list[Any], dict[str, list[str]]]


def _fixed_values() -> dict[str, str]:
    return {
        "q": "Mu",
        "jahr": str(date.today().year - 1),  # a Jahresmeldung is for a past year
        "betreuungsform": str(
            Betreuungsform.objects.order_by("pk").values_list("pk", flat=True)[0]
        ),
        "alter": "10",
        "geschlecht": "m",
        "ab": date.today().isoformat(),
        "lat": "51.3",
        "lon": "9.5",
    }


def _ids(name: str, tenant_ids: list[Any], eigene: dict[str, list[str]]) -> list[str]:
    if name in eigene:
        return eigene[name]
    if name == "sha256":  # a blob: only those of a Koffer's package are served to it
        checked_out = Ausleihe.objects.unscoped().filter(zurueck_am__isnull=True)
        versions = DokumentVersion.objects.unscoped().filter(
            tenant_id__in=tenant_ids, dokument__akte__in=checked_out.values("akte_id")
        )
        return list(versions.order_by("pk").values_list("sha256", flat=True)[:CANDIDATES])
    model, column = KEYS.get(name) or (ROWS[name], "pk")
    rows = model.objects.unscoped().filter(tenant_id__in=tenant_ids)  # type: ignore[attr-defined]
    ids = [str(v) for v in rows.order_by("pk").values_list(column, flat=True)[:CANDIDATES]]
    if name == "entwurf_id":  # a Koffer asks for its worker's open draft in a carried Akte
        checked_out = Ausleihe.objects.unscoped().filter(zurueck_am__isnull=True)
        offen = rows.filter(status=Entwurf.Status.OFFEN, akte__in=checked_out.values("akte_id"))
        ids += [str(v) for v in offen.order_by("pk").values_list("pk", flat=True)[:1]]
    return ids


def _urls(
    path: str, operation: dict[str, Any], tenant_ids: list[Any], eigene: dict[str, list[str]]
) -> list[str]:
    """URLs for ``path`` with the user's rows filled in; none if a row is missing."""
    fixed = _fixed_values()
    urls = [path]
    query: list[str] = []
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            ids = _ids(name, tenant_ids, eigene)
            urls = [u.replace("{" + name + "}", i) for u in urls for i in ids]
        elif parameter.get("required") or name == "q":
            value = _ids(name, tenant_ids, eigene)[:1] if name in ROWS else [fixed[name]]
            if not value:
                return []
            query.append(f"{name}={value[0]}")
    suffix = ("?" + "&".join(query)) if query else ""
    return [u + suffix for u in urls]


def _check(response: Any, operation: dict[str, Any], components: dict[str, Any]) -> list[str]:
    documented = operation["responses"].get(str(response.status_code))
    media = response["Content-Type"].split(";")[0]
    if documented is None and response.status_code >= 400:
        # Not every refusal is listed per operation; each is a problem document, though.
        if media != "application/problem+json":
            return [f"Status {response.status_code} als {media}, nicht problem+json"]
        return errors(json.loads(response.content), {"$ref": "Problem"}, components)
    if documented is None:
        return [f"Status {response.status_code} ist nicht dokumentiert"]
    if media == "application/problem+json":
        media = "application/json"
    content = documented.get("content", {})
    if not content:
        return []
    if media not in content and "*/*" not in content:
        return [f"Inhaltstyp {media} ist nicht dokumentiert ({sorted(content)})"]
    if media != "application/json":
        return []
    return errors(json.loads(_body(response)), content[media]["schema"], components)


def _body(response: Any) -> bytes:
    """The answer's bytes, streamed ones too (the Koffer's package)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.fixture
def demo_users(db: None) -> list[Nutzer]:
    people = district.load()  # with the demo form catalogue, its drafts and submissions
    clients: list[Nutzer] = []
    for person in people:
        user = User.objects.get(username=person.username)
        tenant_ids = list(
            Membership.objects.unscoped().filter(user=user).values_list("tenant_id", flat=True)
        )
        client = Client()
        client.force_login(user)
        clients.append((client, tenant_ids, {}))
    # An expert session on a demo caseworker's open draft (its two people see it).
    entwurf = (
        Entwurf.objects.unscoped()
        .filter(status=Entwurf.Status.OFFEN, created_by__username="sb.jobcenter")
        .select_related("created_by")
        .order_by("pk")
        .first()
    )
    assert entwurf is not None
    experte.starten(
        actor=entwurf.created_by,
        entwurf=entwurf,
        experte=User.objects.get(username="tl.jobcenter"),
        einwilligung_von="Anna Beispiel",
        einwilligung_art="muendlich",
        eingewilligt=True,
    )
    # The print provider's endpoints answer its machine account only (by API key).
    provider = (
        Membership.objects.unscoped()
        .select_related("user", "unit", "tenant")
        .get(user__username="druck.dienstleister")
    )
    _, secret = accounts.create_api_token(
        actor=None,
        tenant=provider.unit.tenant,
        user=provider.user,
        name="Schema-Prüfung",
        permissions=[Perm.OUTBOX_FETCH],
        units=[provider.unit],
    )
    clients.append((Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), [provider.tenant_id], {}))
    # The Koffer's own endpoints answer a paired Koffer (device token) only.
    worker = (
        Membership.objects.unscoped()
        .select_related("user", "unit", "tenant")
        .get(user__username="aussendienst")
    )
    geraet, code = geraete.geraet_anlegen(
        actor=worker.user, tenant_id=worker.tenant_id, name="Schema-Prüfung"
    )
    _, token = geraete.koppeln(code=code)
    # An Akte of its own with a document in it, so that the Koffer's package names a blob.
    plan = Aktenplaneinheit.objects.for_tenant(worker.tenant_id).filter(
        parent__isnull=False
    ).order_by("pk").first() or record_factories.leistungsplan(worker.tenant)
    akte = record_factories.akte(caseworker=worker.user, plan=plan, unit=worker.unit)
    documents.ingest_file(
        actor=None, akte=akte, file=IncomingFile.from_bytes("Hausbesuch.txt", b"Notiz")
    )
    geraete.ausleihen(actor=worker.user, geraet=geraet, akten=[akte])
    # and an open draft there, which the Koffer asks the office about (expert session)
    formular = Formular.objects.for_tenant(worker.tenant_id).exclude(aktuelle_version=None).first()
    assert formular is not None
    ausfuellen.entwurf_beginnen(actor=worker.user, formular=formular, akte=akte)
    clients.append((Client(HTTP_AUTHORIZATION=f"Bearer {token}"), [worker.tenant_id], {}))
    # The portal's API answers citizens only: the demo's Petra Sorge, with an application
    # submitted online (its receipt too).
    petra = Buergerkonto.objects.unscoped().get(kennung="demo-bpk2-petra-sorge")
    angebot = OnlineAngebot.objects.for_tenant(petra.tenant_id).get(
        formular__schluessel="freie-notiz"
    )
    antrag = antraege.beginnen(actor=petra, angebot=angebot)
    antraege.speichern(
        actor=petra,
        antrag=antrag,
        schritt="nachricht",
        antworten={"betreff": "Nebenkosten", "inhalt": "Bitte prüfen Sie die Nachzahlung."},
        version=antrag.version,
    )
    antraege.einreichen(actor=petra, antrag=antrag)
    clients.append(
        (
            portal_factories.buerger_client(petra),
            [petra.tenant_id],
            {"angebot_id": [str(angebot.pk)]},
        )
    )
    # A citizen of the same Jobcenter with a request for documents, a letter in the
    # mailbox and a Vorgang to write about.
    erika = portal_factories.buergerkonto(petra.tenant)
    nachforderung = portal_factories.nachforderung(erika)
    eigene = {
        "antrag_id": [str(nachforderung.antrag_id)],
        "nachforderung_id": [str(nachforderung.pk)],
        "brief_id": [str(portal_factories.postfachbrief(erika).pk)],
        "vorgang_id": [str(nachforderung.vorgang_id)],
        # an answer about that Vorgang carrying a document of the Akte
        "anlage_id": [portal_factories.nachricht_anlage(erika)],
    }
    clients.append((portal_factories.buerger_client(erika), [petra.tenant_id], eigene))
    return clients


def test_every_get_endpoint_answers_as_the_committed_schema_says(
    demo_users: list[Nutzer],
) -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    components = document["components"]["schemas"]
    failures: list[str] = []
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        answered = False
        for client, tenant_ids, eigene in demo_users:
            for url in _urls(path, operation, tenant_ids, eigene):
                response = client.get(url)
                failures += [f"GET {url}: {e}" for e in _check(response, operation, components)]
                if response.status_code < 300:
                    answered = True
                    break
            if answered:
                break
        if not answered:
            failures.append(f"GET {path}: kein Demo-Benutzer bekam eine Antwort 2xx")
    assert not failures, "\n".join(failures)


def test_no_two_schemas_share_a_component_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # ninja merges each model's definitions into one dict by name, the last one winning:
    # that is how five different Status enums became one. Catch the next such clash here.
    clashes: list[str] = []
    merge = OpenAPISchema.add_schema_definitions

    def checked(self: OpenAPISchema, definitions: dict[str, Any]) -> None:
        clashes.extend(
            name
            for name, schema in definitions.items()
            if name in self.schemas and self.schemas[name] != schema
        )
        merge(self, definitions)

    monkeypatch.setattr(OpenAPISchema, "add_schema_definitions", checked)
    import_module(settings.ROOT_URLCONF).api.get_openapi_schema(path_prefix="/api/v1")
    assert clashes == []
