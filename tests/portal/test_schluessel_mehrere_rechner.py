"""Keys shared by several machines (issue 20, the portal's side): the FIT-Connect private
keys and the portal's SAML key pair live in the database, encrypted under the secret key
every machine shares, so two machines with different ``var`` folders see the same keys;
the files earlier versions kept in a machine's folder move into the database at the first
start (audited), and a machine with another secret key cannot open them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from koffer.audit import geheimnisse
from koffer.audit.models import AuditEvent, Geheimnis
from koffer.inbox.errors import InboxError
from koffer.inbox.fitconnect import schluessel as fitconnect
from koffer.portal import saml, schluessel
from koffer.privacy.labels import action_label
from koffer.tenancy.models import Mandant

pytestmark = [pytest.mark.django_db]


def _rechner(settings: Any, var: Path) -> None:
    """This process as the machine whose ``var`` folder is ``var``."""
    settings.KOFFER_FITCONNECT_KEY_DIR = var / "fitconnect"
    settings.KOFFER_PORTAL_SAML_DIR = var / "portal-saml"


def test_two_machines_see_the_same_fitconnect_keys(
    tenant: Mandant, settings: Any, tmp_path: Path
) -> None:
    ziel = uuid.uuid4()
    _rechner(settings, tmp_path / "eins")
    keys = fitconnect.erzeugen(bits=2048)
    keys = fitconnect.Schluessel(keys.entschluesselung, keys.signatur, "client-geheim")
    fitconnect.speichern(tenant_id=tenant.pk, destination_id=ziel, schluessel=keys)
    assert not (tmp_path / "eins").exists()  # nothing on the machine

    _rechner(settings, tmp_path / "zwei")
    gelesen = fitconnect.laden(tenant_id=tenant.pk, destination_id=ziel)
    assert gelesen.entschluesselung.export_private() == keys.entschluesselung.export_private()
    assert gelesen.signatur.thumbprint() == keys.signatur.thumbprint()
    assert gelesen.client_secret == "client-geheim"

    # A machine with another secret key cannot open them, and says so in German.
    settings.SECRET_KEY = "ein-anderer-geheimer-schluessel-" * 2
    with pytest.raises(InboxError) as fehler:
        fitconnect.laden(tenant_id=tenant.pk, destination_id=ziel)
    assert fehler.value.code == "fitconnect_keys_unreadable"
    assert "KOFFER_SECRET_KEY" in fehler.value.message


def test_a_fitconnect_key_file_moves_into_the_database_at_start(
    tenant: Mandant, settings: Any, tmp_path: Path
) -> None:
    ziel = uuid.uuid4()
    keys = fitconnect.erzeugen(bits=2048)
    # The file as earlier versions wrote it on machine one.
    datei = tmp_path / "eins" / "fitconnect" / str(tenant.pk) / f"{ziel}.json"
    datei.parent.mkdir(parents=True)
    datei.write_text(
        json.dumps(
            {
                "entschluesselung": keys.entschluesselung.export_private(as_dict=True),
                "signatur": keys.signatur.export_private(as_dict=True),
                "client_secret": "aus-der-datei",
                "fruehere": [],
            }
        )
    )
    _rechner(settings, tmp_path / "eins")
    assert geheimnisse.uebernehmen() == 1  # what serve and the worker run at start
    assert not datei.exists()
    event = AuditEvent.objects.get(
        tenant_id=tenant.pk, action="inbox.fitconnect.schluessel_uebernommen"
    )
    assert event.changes["encryption_kid"] == keys.entschluesselung.get("kid")
    assert action_label(event.action) != event.action
    assert geheimnisse.uebernehmen() == 0  # moved once

    _rechner(settings, tmp_path / "zwei")
    gelesen = fitconnect.laden(tenant_id=tenant.pk, destination_id=ziel)
    assert gelesen.client_secret == "aus-der-datei"
    assert gelesen.entschluesselung.thumbprint() == keys.entschluesselung.thumbprint()


def _zertifikat(pfad: str) -> bytes:
    return x509.load_pem_x509_certificate(Path(pfad).read_bytes()).fingerprint(hashes.SHA256())


def test_two_machines_sign_with_the_same_saml_key(
    tenant: Mandant, settings: Any, tmp_path: Path
) -> None:
    settings.KOFFER_PORTAL_SAML_KEY_FILE = settings.KOFFER_PORTAL_SAML_CERT_FILE = ""
    settings.KOFFER_PORTAL_SAML_BASE_URL = "http://testserver"
    settings.DEMO_MODE = True
    # An earlier version generated the pair into machine one's var folder.
    alt_key, alt_cert = schluessel.selbstsigniert("koffer sp")
    ordner = tmp_path / "eins" / "portal-saml"
    ordner.mkdir(parents=True)
    (ordner / "sp.key").write_bytes(alt_key)
    (ordner / "sp.crt").write_bytes(alt_cert)

    _rechner(settings, tmp_path / "eins")
    assert geheimnisse.uebernehmen() == 1  # serve's and the worker's start
    key_eins, cert_eins = saml._sp_schluessel()
    assert Path(key_eins).read_bytes() == alt_key  # moved, not replaced
    assert not (ordner / "sp.key").exists() and not (ordner / "sp.crt").exists()
    assert Path(key_eins).stat().st_mode & 0o077 == 0
    metadaten_eins = saml.metadaten()
    event = AuditEvent.objects.get(tenant_id=tenant.pk, action="portal.saml.schluessel")
    assert "übernommen" in event.changes["quelle"]
    assert action_label(event.action) != event.action

    # Machine two: an empty var folder, not in demo mode, no key files of its own.
    _rechner(settings, tmp_path / "zwei")
    settings.DEMO_MODE = False
    key_zwei, cert_zwei = saml._sp_schluessel()
    assert key_zwei.startswith(str(tmp_path / "zwei"))
    assert Path(key_zwei).read_bytes() == alt_key
    assert _zertifikat(cert_zwei) == _zertifikat(cert_eins)
    settings.KOFFER_PORTAL_SAML_IDP_METADATA = ""
    settings.DEMO_MODE = True
    assert saml.metadaten() == metadaten_eins
    assert AuditEvent.objects.filter(action="portal.saml.schluessel").count() == 1
    assert Geheimnis.objects.filter(name="portal-saml/sp").count() == 1


def test_configured_saml_files_are_shared_with_machines_without_them(
    tenant: Mandant, settings: Any, tmp_path: Path
) -> None:
    key, cert = schluessel.selbstsigniert("koffer sp betrieb")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "sp.key").write_bytes(key)
    (tmp_path / "secrets" / "sp.crt").write_bytes(cert)
    settings.KOFFER_PORTAL_SAML_KEY_FILE = str(tmp_path / "secrets" / "sp.key")
    settings.KOFFER_PORTAL_SAML_CERT_FILE = str(tmp_path / "secrets" / "sp.crt")
    settings.DEMO_MODE = False
    _rechner(settings, tmp_path / "eins")
    assert saml._sp_schluessel() == (
        settings.KOFFER_PORTAL_SAML_KEY_FILE,
        settings.KOFFER_PORTAL_SAML_CERT_FILE,
    )
    assert schluessel.gespeichert("sp") == (key, cert)

    # Machine two has the setting but not the files: the database's pair.
    settings.KOFFER_PORTAL_SAML_KEY_FILE = str(tmp_path / "fehlt" / "sp.key")
    settings.KOFFER_PORTAL_SAML_CERT_FILE = str(tmp_path / "fehlt" / "sp.crt")
    _rechner(settings, tmp_path / "zwei")
    key_zwei, _ = saml._sp_schluessel()
    assert Path(key_zwei).read_bytes() == key
    assert AuditEvent.objects.filter(action="portal.saml.schluessel").count() == 1
