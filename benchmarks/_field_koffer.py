"""Steps of the Koffer benchmarks that run in the Koffer's own process (its var folder, its
database, Koffer mode), started by ``field_sync`` as ``python -m benchmarks._field_koffer
<step> <file.json>``; the file holds the step's arguments and receives its answer.

``tagewerk``: a field worker's day at the kitchen tables, through the same services the
Koffer's pages call: contact data, Vorgänge and Wiedervorlagen changed, photos and scans
filed as documents, short forms filled and submitted (printed and filed). Answers what
it made and what the Koffer would send (``sammeln``, read only), for the baseline.

``abgleichen``: ``manage.py koffer_abgleichen`` in this process, with clocks around the
sync's public steps (each blob's upload, the payload's POST, the pull afterwards) where
they are found: a step renamed by a later change is reported as unknown, the total
stays right.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in {"tagewerk", "abgleichen"}:
        print("Aufruf: python -m benchmarks._field_koffer tagewerk|abgleichen <datei.json>")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    django.setup()
    datei = Path(argv[2])
    auftrag = json.loads(datei.read_text()) if datei.exists() else {}
    antwort = tagewerk(**auftrag) if argv[1] == "tagewerk" else abgleichen()
    datei.write_text(json.dumps(antwort))
    return 0


def tagewerk(
    *, username: str, akten: list[str], aenderungen: int, dokumente: int, formulare: int
) -> dict[str, Any]:
    from koffer.accounts.models import User
    from koffer.field.rueckgabe.sammeln import sammeln
    from koffer.records.models import Akte

    worker = User.objects.get(username=username)
    offline = list(Akte.objects.unscoped().filter(pk__in=akten).order_by("title"))
    assert len(offline) == len(akten), "nicht alle Akten im Koffer"
    geaendert = _aendern(worker, offline, aenderungen)
    neue = _dokumente(worker, offline, dokumente)
    eingereicht = _formulare(worker, offline, formulare)
    hinweise: list[str] = []
    payload = sammeln(hinweise=hinweise)
    return {
        "geaendert": geaendert,
        "dokumente": neue,
        "formulare": eingereicht,
        "payload": payload,
        "nicht_uebertragen": hinweise,
    }


def _aendern(worker: Any, akten: list[Any], anzahl: int) -> int:
    """``anzahl`` records changed in turn: a person's contact data, a Vorgang's status, a
    Wiedervorlage done."""
    from koffer.records import services
    from koffer.records.models import Vorgang, Wiedervorlage
    from koffer.records.selectors import first_subject

    geaendert = 0
    for n in range(anzahl):
        akte = akten[(n // 3) % len(akten)]
        art = n % 3
        if art == 0:
            person = first_subject(akte)
            assert person is not None
            services.change_person(
                actor=worker,
                person=person,
                telefon=f"0170 555{n:04d}",
                street=f"Gartenweg {n + 1}",
                city="Koffertal",
            )
        elif art == 1:
            vorgang = Vorgang.objects.for_tenant(akte.tenant_id).filter(akte=akte).first()
            assert vorgang is not None
            services.change_vorgang_status(
                actor=worker,
                vorgang=vorgang,
                status=Vorgang.Status.WAITING,
                note="Unterlagen beim Hausbesuch angefordert",
            )
        else:
            wv = Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(akte=akte).first()
            assert wv is not None
            services.complete_wiedervorlage(actor=worker, wiedervorlage=wv)
        geaendert += 1
    return geaendert


def _dokumente(worker: Any, akten: list[Any], anzahl: int) -> list[int]:
    """Photos (JPEG, about 400 kB) and scans (image PDF, about 300 kB) filed into the
    Akten in turn; answers their sizes."""
    from koffer.records.dokumente import naming
    from koffer.records.dokumente import services as documents

    groessen = []
    for n in range(anzahl):
        akte = akten[n % len(akten)]
        if n % 2:
            name, data = f"Mietvertrag Seite {n}.pdf", _scan(f"{akte.pk}-{n}")
        else:
            name, data = f"Foto Heizkostenabrechnung {n}.jpg", _foto(f"{akte.pk}-{n}")
        result = documents.ingest_file(
            actor=worker, akte=akte, file=naming.IncomingFile.from_bytes(name, data)
        )
        assert result.ok, result.message
        groessen.append(len(data))
    return groessen


def _foto(seed: str, w: int = 1400, h: int = 1050) -> bytes:
    """A phone photo of a paper: noise (a camera's grain) over a gradient, with text."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    noise = Image.effect_noise((w // 2, h // 2), 40).resize((w, h))
    base = Image.linear_gradient("L").resize((w, h))
    shift = rnd.randrange(256)
    bild = Image.merge(
        "RGB",
        (
            Image.blend(noise, base, 0.5),
            Image.blend(noise.rotate(90), base, 0.6),
            base.point(lambda v: (v + shift) % 256),
        ),
    )
    draw = ImageDraw.Draw(bild)
    for i in range(30):
        draw.text((50, 30 * i + 20), f"Heizkosten {seed} Zeile {i}: 1.234,56 EUR", fill=(0, 0, 0))
    out = io.BytesIO()
    bild.save(out, "JPEG", quality=85)
    return out.getvalue()


def _scan(seed: str, w: int = 1240, h: int = 1754) -> bytes:
    """A scanned page as a PDF (A4 at 150 dpi, greyscale JPEG inside), as scanner apps
    make them."""
    import img2pdf
    from PIL import Image, ImageDraw

    paper = Image.eval(Image.effect_noise((w // 2, h // 2), 25).resize((w, h)), _papier)
    draw = ImageDraw.Draw(paper)
    for i in range(50):
        draw.text(
            (80, 60 + 32 * i),
            f"Mietvertrag {seed} § {i}: Die Miete beträgt 450,00 EUR monatlich.",
            fill=0,
        )
    out = io.BytesIO()
    paper.save(out, "JPEG", quality=80)
    pdf = img2pdf.convert(out.getvalue())
    assert pdf is not None
    return bytes(pdf)


def _papier(v: int) -> int:
    return 200 + v // 5


def _formulare(worker: Any, akten: list[Any], anzahl: int) -> int:
    """The demo's short form filled and submitted for the Akten in turn (printed and filed
    as a Dokument of the Akte, as at the kitchen table)."""
    from benchmarks._field import FORMULAR
    from koffer.forms.ausfuellen import services as ausfuellen
    from koffer.forms.models import Formular

    formular = Formular.objects.unscoped().get(schluessel=FORMULAR)
    for n in range(anzahl):
        akte = akten[n % len(akten)]
        entwurf = ausfuellen.entwurf_beginnen(actor=worker, formular=formular, akte=akte)
        ausfuellen.schritt_speichern(
            actor=worker,
            entwurf=entwurf,
            schritt="nachricht",
            antworten={
                "betreff": f"Antrag auf Übernahme der Nebenkostennachzahlung ({n + 1})",
                "inhalt": "Beim Hausbesuch aufgenommen. Die Nachzahlung beträgt 312,40 EUR;"
                " die Abrechnung liegt als Foto bei.\n" * 4,
                "unterschrift": {"art": "papier"},
            },
        )
        ausfuellen.einreichen(actor=worker, entwurf=entwurf)
    return anzahl


def abgleichen() -> dict[str, Any]:
    from django.core.management import call_command

    from koffer.field.paket import abholung
    from koffer.field.rueckgabe import abgleich

    uhren: dict[str, float] = {}
    gefunden = {
        "blobs": _uhr(abgleich, "blob_senden", uhren, "blobs"),
        "push": _uhr(abholung, "json_anfrage", uhren, "push", nur="/koffer/abgleich"),
        "pull": _uhr(abholung, "abholen", uhren, "pull"),
    }
    out = io.StringIO()
    begin = time.perf_counter()
    call_command("koffer_abgleichen", stdout=out)
    gesamt = time.perf_counter() - begin
    return {
        "sekunden": gesamt,
        **{name: uhren.get(name, 0.0) if da else None for name, da in gefunden.items()},
        "ausgabe": out.getvalue(),
    }


def _uhr(modul: Any, name: str, uhren: dict[str, float], schluessel: str, nur: str = "") -> bool:
    """Wrap ``modul.name`` so its time adds up in ``uhren[schluessel]`` (``nur``: only
    calls whose second argument is that path); False if the module has no such name."""
    original: Callable[..., Any] | None = getattr(modul, name, None)
    if original is None:
        return False
    echt: Callable[..., Any] = original

    def gemessen(*args: Any, **kwargs: Any) -> Any:
        if nur and (len(args) < 2 or args[1] != nur):
            return echt(*args, **kwargs)
        begin = time.perf_counter()
        try:
            return echt(*args, **kwargs)
        finally:
            uhren[schluessel] = uhren.get(schluessel, 0.0) + time.perf_counter() - begin

    setattr(modul, name, gemessen)
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv))
