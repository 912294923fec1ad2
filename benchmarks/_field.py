"""Shared by the Koffer benchmarks (``field_sync``, ``field_start``): the office's data made
through the services, a Koffer's var folder and its ``manage.py`` processes in Koffer
mode, and signing in on a served koffer.

A Koffer starts from a copy of the benchmark's own migrated, still empty database
(:func:`leere_vorlage`), taken before the office's data goes in: migrating a second
database from scratch costs 15 to 40 seconds on two cores, which a smoke run cannot
afford. With the tresor on, the copy is encrypted with the Koffer's database key
(``sqlcipher_export``); if that fails the Koffer migrates itself, as a real one does.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from benchmarks import served
from benchmarks.report import note
from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.demo import formulare as demo_formulare
from koffer.field.geraete import services as geraete
from koffer.forms.katalog import services as katalog
from koffer.records import defaults, services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, VorgangTyp
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Koffer-Messung-42"
KENNWORT = "Kofferkennwort-Messung-2026"
SQLITE_FILE = "koffer.sqlite3"
# The form the field worker fills at the kitchen table (demo catalogue): short, no
# Vorgang of its own, filed as a Dokument when submitted.
FORMULAR = "freie-notiz"


@dataclass
class Buero:
    tenant: Mandant
    worker: User
    akten: list[Akte]


def leere_vorlage(folder: Path) -> Path:
    """A copy of this benchmark's migrated database while it is still empty (call it
    before any data goes in)."""
    target = folder / "leer.sqlite3"
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


def buero_daten(*, akten: int, dokumente: int, groesse: int, formular: bool = False) -> Buero:
    """One Mandant, a field worker who is the caseworker of ``akten`` Akten, each with its
    person, a Vorgang, a Wiedervorlage and ``dokumente`` text documents of ``groesse``
    bytes, stored through the services; with ``formular`` the demo's short form in the
    catalogue."""
    tenant = tenancy.create_mandant(
        actor=None, slug="koffertal", name="Stadt Koffertal", kind="gemeinde"
    )
    defaults.install(actor=None, tenant=tenant)
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    plan = services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="50", title="Soziales", module="sgb2"
    )
    typ = VorgangTyp.objects.for_tenant(tenant).filter(module=plan.module).order_by("code").first()
    if typ is None:
        raise SystemExit("Kein Vorgangstyp für SGB II in den Voreinstellungen")
    worker = accounts.create_user(
        actor=None,
        tenant=tenant,
        username="aussendienst",
        first_name="Ada",
        last_name="Außendienst",
        email="aussendienst@example.org",
        password=PASSWORD,
        unit=root,
        role="aussendienst",
        must_change_password=False,
    )
    if formular:
        definition = [d for d in demo_formulare.definitionen() if d["schluessel"] == FORMULAR]
        katalog.importieren(actor=None, access=None, tenant=tenant, daten=definition)
    made = []
    for n in range(akten):
        akte = services.open_akte_for_person(
            actor=worker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=root,
            title=f"Akte {n}",
            family_name=f"Besucht{n}",
            given_names="Berta",
            bg_nummer="neu",
            caseworker=worker,
        )
        vorgang = services.create_vorgang(
            actor=worker, akte=akte, typ=typ, title=f"Hausbesuch bei Berta Besucht{n}"
        )
        services.set_wiedervorlage(
            actor=worker,
            akte=akte,
            due_date=timezone.localdate() + timedelta(days=7),
            assignee=worker,
            vorgang=vorgang,
            note="Unterlagen beim Hausbesuch mitnehmen",
        )
        for d in range(dokumente):
            result = documents.ingest_file(
                actor=worker,
                akte=akte,
                vorgang=vorgang,
                file=naming.IncomingFile.from_bytes(f"Nachweis {d}.txt", text(groesse, f"{n}-{d}")),
            )
            assert result.ok, result.message
        made.append(akte)
    return Buero(tenant=tenant, worker=worker, akten=made)


def kopplungscode(buero: Buero, name: str) -> str:
    """A Koffer registered by the field worker with every Akte checked out to it."""
    geraet, code = geraete.geraet_anlegen(actor=buero.worker, tenant_id=buero.tenant.pk, name=name)
    geraete.ausleihen(actor=buero.worker, geraet=geraet, akten=buero.akten)
    return code


def text(size: int, seed: str) -> bytes:
    line = f"{seed}: Nachweis der Kosten der Unterkunft, Kontoauszug, Mietvertrag.\n".encode()
    return (line * (size // len(line) + 1))[:size]


def koffer_env(var: Path, **extra: str) -> dict[str, str]:
    """A Koffer's environment: Koffer mode, everything it writes under ``var`` (its audit
    keys too: a laptop has its own)."""
    env = {
        **os.environ,
        "KOFFER_VAR_DIR": str(var),
        "KOFFER_MODE": "koffer",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        **extra,
    }
    for name in ("KOFFER_DATABASE_URL", "KOFFER_AUDIT_KEY_DIR", "KOFFER_AUDIT_ANCHOR_DIR"):
        env.pop(name, None)
    return env


def tresor_env(var: Path, kennwortdatei: Path) -> dict[str, str]:
    env = koffer_env(var, KOFFER_TRESOR="1", KOFFER_TRESOR_KENNWORT_DATEI=str(kennwortdatei))
    env.pop("KOFFER_TRESOR_SCHLUESSEL", None)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, str(ROOT / "manage.py"), *args)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python *args`` in the Koffer's environment; stops the benchmark if it fails."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}")
    return result


def koffer_anlegen(var: Path, vorlage: Path) -> dict[str, str]:
    """A Koffer without the tresor in ``var``, its database the empty migrated copy."""
    var.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vorlage, var / SQLITE_FILE)
    return koffer_env(var)


def tresor_koffer_anlegen(var: Path, vorlage: Path) -> dict[str, str]:
    """A Koffer with the tresor on in ``var``: set up with the secret from a file
    (``tresor_einrichten``), its database the empty copy encrypted with its key."""
    var.mkdir(parents=True, exist_ok=True)
    kennwortdatei = var.parent / f"{var.name}-kennwort"
    kennwortdatei.write_text(KENNWORT + "\n")
    env = tresor_env(var, kennwortdatei)
    manage(env, "tresor_einrichten")
    try:
        _verschluesselt_kopieren(vorlage, var)
    except Exception as exc:  # only a shortcut: the Koffer migrates itself
        (var / SQLITE_FILE).unlink(missing_ok=True)
        note(f"Leere Datenbank nicht verschlüsselt kopiert ({exc}); der Koffer migriert selbst.")
    return env


def _verschluesselt_kopieren(vorlage: Path, var: Path) -> None:
    from sqlcipher3 import dbapi2 as sqlcipher

    from koffer.tresor import schluessel

    geraet = schluessel.auspacken(schluessel.lesen(var / "tresor.json"), KENNWORT)
    key = schluessel.unterschluessel(geraet, "datenbank").hex()
    conn = sqlcipher.connect(str(vorlage))
    # The schema's expression index on folded names needs the function (records.apps).
    conn.create_function("koffer_fold", 1, _fold, deterministic=True)
    try:
        target = str(var / SQLITE_FILE).replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{target}' AS tresor KEY \"x'{key}'\"")
        conn.execute("SELECT sqlcipher_export('tresor')")
        conn.execute("DETACH DATABASE tresor")
    finally:
        conn.close()


def _fold(text: str | None) -> str | None:
    from koffer.records.suche.backends.folding import fold

    return None if text is None else fold(text)


def anmelden(base: str, username: str, password: str) -> str:
    """Sign in through the real form; returns the Cookie header (session and CSRF)."""
    jar = CookieJar()
    browser = served.opener(jar)
    with browser.open(base + "/anmelden/", timeout=30) as response:
        page = response.read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("Anmeldeformular ohne CSRF-Token")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": found.group(1)}
    ).encode()
    with browser.open(base + "/anmelden/", form, timeout=30) as response:
        response.read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"Anmeldung als {username} fehlgeschlagen")
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def seite(url: str, cookie: str) -> tuple[int, str]:
    """Status and body of a page (0: nobody answers yet); redirects are not followed (the
    body is then where they lead)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    try:
        with _ohne_umleitung.open(request, timeout=30) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


class _KeineUmleitung(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_ohne_umleitung = urllib.request.build_opener(urllib.request.ProxyHandler({}), _KeineUmleitung())
