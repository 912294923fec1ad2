"""The issue's check, end to end, with two real koffer processes on loopback, each with
its own database and blob store, and a real IPP printer (ippeveprinter): the Koffer
checks out an Akte, the office stops; on the Koffer a field worker signs in with TOTP,
opens the Akte, fills a form (prefilled from the Akte, a step with an error kept as a
draft, a signature on screen), submits it, prints it on the Koffer's printer, adds a
document and changes the person; the office changes the same person, starts again; the
Koffer syncs, the conflict is decided in the office's queue. Nothing lost, nothing
doubled, both audit chains verify, and the printed PDF is the filed document's."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw

from koffer.outbox.lokaldruck import virtuell
from tests import dbtemplate
from tests.field.conftest import Dienst, Sitzung, formularwerte
from tests.field.test_paket_koffer import _blob, _manage
from tests.outbox.lokaldruck.conftest import needs_printer
from tests.subprocesses import koffer_env

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database, needs_printer]

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DRUCK_WARTEN = 60.0


def _env(var: Path, *, migriert: Path | None = None, **mehr: str) -> dict[str, str]:
    """A koffer's environment with its own var folder, migrated (or, ``migriert``, a copy
    of another's freshly migrated database: the same schema, half the time)."""
    var.mkdir(parents=True, exist_ok=True)
    env = koffer_env(var, KOFFER_FAST_HASHER="1", KOFFER_DEBUG="0", KOFFER_REQUIRE_OTP="1", **mehr)
    if migriert is not None:
        shutil.copyfile(migriert, var / dbtemplate.SQLITE_FILE)
        return env
    migrated = dbtemplate.migrate_var_dir(var, env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _schritt(env: dict[str, str], aufruf: str) -> Any:
    run = _manage(env, "shell", "-c", f"from tests.field import ende_seed as s; s.{aufruf}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _zeichnung() -> str:
    bild = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(bild).line([(40, 150), (200, 40), (320, 160), (560, 60)], fill="black", width=4)
    puffer = io.BytesIO()
    bild.save(puffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(puffer.getvalue()).decode()


def _weiter(koffer: Sitzung, pfad: str, werte: dict[str, str]) -> str:
    antwort = koffer.post(pfad, werte)
    assert antwort.status == 302, antwort.text[:3000]
    return antwort.location


def _formular_ausfuellen(koffer: Sitzung, seed: dict[str, Any]) -> str:
    """Begin the form on the carried Akte, fill it with one error on the way, sign and
    submit it; the submission page's path."""
    akte = seed["akte"]
    assert seed["aktenzeichen"] in koffer.get(reverse("records:akte_detail", args=[akte])).text
    pfad = _weiter(
        koffer, reverse("forms:entwurf_beginnen", args=[akte]), {"formular": seed["formular"]}
    )
    assert pfad.endswith("/schritte/person/"), pfad
    seite = koffer.get(pfad).text
    assert f'value="{seed["nachname"]}"' in seite and "aus der Akte übernommen" in seite
    person = formularwerte(seite, "f-nachname") | {"f-geburtsdatum": "31.02.1980"}

    # A step with an error is saved as a draft with its error, nothing lost.
    fehler = koffer.post(pfad, person)
    assert fehler.status == 200 and "Bitte prüfen Sie Ihre Angaben" in fehler.text
    assert 'value="31.02.1980"' in fehler.text
    assert "Antrag beim Hausbesuch" in koffer.get(reverse("forms:meine_entwuerfe")).text

    pfad = _weiter(koffer, pfad, person | {"f-geburtsdatum": "17.05.1980"})
    haushalt = formularwerte(koffer.get(pfad).text, "f-mitglieder-0-vorname")
    pfad = _weiter(koffer, pfad, haushalt | {"f-umgezogen": "nein"})
    pfad = _weiter(koffer, pfad, {"f-lohn": "1.234,5"})
    assert pfad.endswith("/schritte/abschluss/"), pfad
    pruefen = _weiter(
        koffer,
        pfad,
        {
            "f-unterschrift-art": "bildschirm",
            "f-unterschrift-name": "Anna Beispiel",
            "f-unterschrift-bestaetigt": "ja",
            "f-unterschrift-bild": _zeichnung(),
        },
    )
    assert 'src="data:image/png;base64,' in koffer.get(pruefen).text  # the signature
    return _weiter(koffer, pruefen, {})


def _drucken(koffer: Sitzung, einreichung: str) -> str:
    """Print the submission on the Koffer's printer and wait for the job; the Dokument."""
    seite = koffer.get(einreichung).text
    assert "Auf dem Koffer-Drucker drucken" in seite, seite
    match = re.search(rf"/postausgang/dokumente/({UUID})/drucken/", seite)
    assert match is not None
    drucken = match.group(0)
    knopf = formularwerte(seite, "druck-drucker")  # one click on the submission's page
    assert knopf == {"druck-drucker": "einstellung"}, knopf
    assert _weiter(koffer, drucken, knopf) == drucken
    deadline = time.monotonic() + DRUCK_WARTEN
    while time.monotonic() < deadline:
        stand = koffer.get(drucken).text
        assert 'data-druckstand="fehlgeschlagen"' not in stand, stand
        if 'data-druckstand="gedruckt"' in stand:
            return match.group(1)
        time.sleep(0.5)
    pytest.fail("Der Druck auf dem Koffer-Drucker endete nicht.")


def _person_aendern(koffer: Sitzung, akte: str, **felder: str) -> None:
    seite = koffer.get(reverse("records:akte_detail", args=[akte])).text
    match = re.search(rf"/akten/{akte}/personen/{UUID}/aendern/", seite)
    assert match is not None, seite
    werte = formularwerte(koffer.get(match.group(0)).text, "city")
    _weiter(koffer, match.group(0), werte | felder)


def test_a_day_offline_with_forms_printing_and_a_conflict_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    drucker = virtuell.VirtuellerDrucker(tmp_path / "spool").start()
    buero = koffer = None
    try:
        # 1. The office, seeded, served; the Koffer pairs and checks the Akte out.
        buero_env = _env(tmp_path / "buero")
        leer = tmp_path / "leer.sqlite3"
        shutil.copyfile(tmp_path / "buero" / dbtemplate.SQLITE_FILE, leer)
        _manage(
            buero_env,
            "shell",
            "-c",
            f"from tests.field.ende_seed import seed; seed({str(tmp_path / 'seed.json')!r})",
        )
        seed = json.loads((tmp_path / "seed.json").read_text())
        akte = seed["akte"]
        buero = Dienst(tmp_path / "buero", buero_env).starten()
        koffer_env_ = _env(
            tmp_path / "koffer", migriert=leer, KOFFER_MODE="koffer", KOFFER_DRUCKER=drucker.uri
        )
        _manage(koffer_env_, "koffer_koppeln", "--buero", buero.url, "--code", seed["code"])
        abgeholt = _manage(koffer_env_, "koffer_abholen")
        assert "Paket eingespielt: 1 Akten" in abgeholt.stdout, abgeholt.stdout

        # 2. The office stops: the Koffer works offline, through its pages.
        buero.stoppen()
        assert not buero.erreichbar()
        koffer = Dienst(tmp_path / "koffer", koffer_env_).starten()
        sitzung = Sitzung(koffer.url)
        sitzung.anmelden(seed["username"], seed["password"], seed["totp"])
        einreichung = _formular_ausfuellen(sitzung, seed)
        assert re.search(rf"/formulare/einreichungen/{UUID}/$", einreichung), einreichung
        dokument = _drucken(sitzung, einreichung)
        [gedruckt] = drucker.pdfs()
        gedruckt_sha = hashlib.sha256(gedruckt.read_bytes()).hexdigest()
        _person_aendern(sitzung, akte, telefon="0170 5550001", city="Koffertal-Nord")
        im_koffer = _schritt(koffer_env_, f"bestand_der_akte({akte!r}, beleg='Mietvertrag.txt')")
        beleg = im_koffer.pop("beleg")
        assert dokument in im_koffer["dokumente"] and beleg in im_koffer["dokumente"]
        assert len(im_koffer["einreichungen"]) == 1
        assert f"{dokument}:{gedruckt_sha}" in im_koffer["versionen"]  # printed = filed
        koffer.stoppen()

        # 3. Meanwhile the office changes the same person; it starts again; the Koffer syncs.
        _schritt(buero_env, f"person_aendern({akte!r}, city='Bürostadt')")
        buero.starten()
        abgleich = _manage(koffer_env_, "koffer_abgleichen")
        assert "1 Konflikte" in abgleich.stdout, abgleich.stdout + abgleich.stderr

        # 4. The conflict is decided in the office's queue, by a person, seeing both values.
        im_buero = Sitzung(buero.url)
        im_buero.anmelden(seed["username"], seed["password"], seed["totp"])
        queue = im_buero.get(reverse("field:konflikte")).text
        assert "Bürostadt" in queue and "Koffertal-Nord" in queue, queue
        match = re.search(rf"/koffer/konflikte/{UUID}/entscheiden/", queue)
        assert match is not None
        _weiter(im_buero, match.group(0), {"entscheidung": "koffer"})
        assert not re.search(
            rf"/koffer/konflikte/{UUID}/entscheiden/", im_buero.get(reverse("field:konflikte")).text
        )

        # 5. Nothing lost, nothing doubled; the printed PDF is the filed document.
        nachher = _schritt(buero_env, f"bestand_der_akte({akte!r}, pruefen=True)")
        for key in ("dokumente", "versionen", "entwuerfe", "einreichungen"):
            assert nachher[key] == im_koffer[key], key
        assert len(nachher["vorgaenge"]) == len(set(nachher["vorgaenge"]))
        assert set(im_koffer["vorgaenge"]) <= set(nachher["vorgaenge"])
        assert (nachher["telefon"], nachher["city"]) == ("0170 5550001", "Koffertal-Nord")
        assert nachher["einreichungen"][next(iter(nachher["einreichungen"]))] == dokument
        # Filed through the E-Akte's and the Formulare's services, as the field worker,
        # each naming its event in the Koffer's segment.
        assert nachher["kanaele"] == ["koffer"]
        assert {dokument, beleg, *nachher["einreichungen"]} <= set(nachher["vom_koffer"])
        assert _blob(buero.var, gedruckt_sha).read_bytes() == gedruckt.read_bytes()
        zurueck = _schritt(koffer_env_, f"bestand_der_akte({akte!r}, pruefen=True)")
        for key in ("dokumente", "versionen", "einreichungen"):
            assert zurueck[key] == nachher[key], key

        # 6. Both audit chains verify, each on its own side (manage.py audit_verify).
        assert nachher["audit"] == "ok", nachher["audit"]
        assert zurueck["audit"] == "ok", zurueck["audit"]
    finally:
        for dienst in (koffer, buero):
            if dienst is not None:
                dienst.stoppen()
        drucker.stop()
