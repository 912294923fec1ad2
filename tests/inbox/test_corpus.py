"""The Posteingang corpus generator (``benchmarks.inbox_corpus``): the same seed gives the
same bytes, and its ground truth agrees with the files it wrote (Lieferschein, pages,
separator sheets, QR codes, printed text), so the pipeline can be measured against it."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
import zxingcpp
from benchmarks import inbox_corpus as corpus
from PIL import Image

from koffer.accounts.models import User
from koffer.inbox.lieferung import manifest
from koffer.records.models import Akte, Bedarfsgemeinschaft, Person, Vorgang
from koffer.tenancy.models import Mandant

SEED = 4
DOCUMENTS = 8
FILES = 3


def _write(folder: Path) -> tuple[list[corpus.Fall], list[corpus.Wahrheit]]:
    rng = random.Random(SEED)
    people = corpus.plan_faelle(rng, 24)
    truths = corpus.write_batch(
        folder, people=people, rng=rng, documents=DOCUMENTS, files=FILES, tiff_share=0.4
    )
    return people, truths


@pytest.fixture(scope="module")
def batch(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[corpus.Fall], list[corpus.Wahrheit]]:
    folder = tmp_path_factory.mktemp("stapel")
    people, truths = _write(folder)
    return folder, people, truths


Batch = tuple[Path, list[corpus.Fall], list[corpus.Wahrheit]]


def _pages(path: Path) -> Iterator[Image.Image]:
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                (image,) = page.get_images().values()
                yield pikepdf.PdfImage(image).as_pil_image()
    else:
        with Image.open(path) as tiff:
            for n in range(tiff.n_frames):
                tiff.seek(n)
                yield tiff.convert("L")


def _codes(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found]


def test_the_same_seed_writes_the_same_bytes(batch: Batch, tmp_path: Path) -> None:
    folder, _, truths = batch
    _, again = _write(tmp_path)
    assert again == truths
    for path in folder.iterdir():
        assert hashlib.sha256((tmp_path / path.name).read_bytes()).hexdigest() == (
            hashlib.sha256(path.read_bytes()).hexdigest()
        ), path.name


def test_the_lieferschein_is_accepted_and_names_every_file_with_its_hash_and_pages(
    batch: Batch,
) -> None:
    folder, _, _ = batch
    note = manifest.parse((folder / "lieferschein.json").read_bytes())
    assert note.quality_passed
    scans = sorted(p.name for p in folder.iterdir() if p.suffix in {".pdf", ".tif"})
    assert sorted(f.name for f in note.files) == scans
    assert len(scans) == FILES
    assert any(name.endswith(".tif") for name in scans)
    for declared in note.files:
        data = (folder / declared.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == declared.sha256
        assert sum(1 for _ in _pages(folder / declared.name)) == declared.pages


def test_every_page_is_in_exactly_one_document_or_a_separator(batch: Batch) -> None:
    folder, _, truths = batch
    files = {f["name"]: f for f in json.loads((folder / "wahrheit.json").read_text())["dateien"]}
    assert len(truths) == DOCUMENTS
    for name, described in files.items():
        mine = [t for t in truths if t.datei == name]
        pages = [p for t in mine for p in (*t.trennblaetter, *t.seiten)]
        assert sorted(pages) == list(range(described["seiten"])), name
        assert [p for t in mine for p in t.trennblaetter] == described["trennblaetter"]
        # A separator between each two documents of a file, none in front of the first.
        assert not mine[0].trennblaetter
        assert all(len(t.trennblaetter) == 1 for t in mine[1:])
        for t in mine:
            assert list(t.seiten) == list(range(t.seiten[0], t.seiten[-1] + 1))
            assert len(t.texte) == len(t.seiten)


def test_the_pdfs_are_images_only(batch: Batch) -> None:
    folder, _, _ = batch
    for path in folder.glob("*.pdf"):
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                assert "/Font" not in page.Resources
                assert len(page.get_images()) == 1


def test_separator_sheets_and_reply_codes_are_readable(batch: Batch) -> None:
    folder, _, truths = batch
    codes = {
        (path.name, n): _codes(image)
        for path in sorted(folder.iterdir())
        if path.suffix in {".pdf", ".tif"}
        for n, image in enumerate(_pages(path))
    }
    separators = {(t.datei, p) for t in truths for p in t.trennblaetter}
    assert separators
    for key, found in codes.items():
        if key in separators:
            assert found == [corpus.SEPARATOR], key
        else:
            assert corpus.SEPARATOR not in found, key
    replies = [t for t in truths if t.antwortcode]
    assert replies, "the seed was chosen to give at least one reply"
    for t in replies:
        assert codes[(t.datei, t.seiten[0])] == [t.antwortcode]
        assert t.aktenzeichen is not None


def test_the_ground_truth_agrees_with_what_is_printed(batch: Batch) -> None:
    folder, people, truths = batch
    assert corpus.load_wahrheit(folder) == truths
    by_aktenzeichen = {f.aktenzeichen: f for f in people}
    assert {t.art for t in truths} == set(corpus.KINDS)
    for t in truths:
        assert all(t.texte)
        if t.gemeint is None:
            assert t.aktenzeichen is None
            continue
        fall = by_aktenzeichen[t.gemeint]
        if t.aktenzeichen is not None:
            assert t.akte_id == str(fall.akte_id)
        if "bg_nummer" in t.merkmale:
            assert fall.bg_nummer
            assert fall.bg_nummer in t.text
        if "aktenzeichen" in t.merkmale:
            assert fall.aktenzeichen in t.text
        if "kundennummer" in t.merkmale:
            assert fall.kundennummer in t.text
        if t.gerichtsaktenzeichen:
            assert t.gerichtsaktenzeichen in t.text
        for person in t.personen:
            assert person.family_name in t.text
            if "name_geburtsdatum" in t.merkmale and person.birth_date:
                assert f"{person.birth_date:%d.%m.%Y}" in t.text


def test_without_image_only_the_pdfs_carry_the_text_that_was_printed(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    people = corpus.plan_faelle(rng, 12)
    truths = corpus.write_batch(
        tmp_path, people=people, rng=rng, documents=4, files=2, image_only=False, tiff_share=0
    )
    note = manifest.parse((tmp_path / "lieferschein.json").read_bytes())
    for declared in note.files:
        pdf = pypdfium2.PdfDocument(tmp_path / declared.name)
        assert len(pdf) == declared.pages
        texts = [pdf[n].get_textpage().get_text_range() for n in range(len(pdf))]
        for t in (t for t in truths if t.datei == declared.name):
            for page, printed in zip(t.seiten, t.texte, strict=True):
                first_line = printed.splitlines()[0]
                assert first_line.split()[0] in texts[page]
            for page in t.trennblaetter:
                image = pdf[page].render(scale=150 / 72).to_pil()
                assert _codes(image) == [corpus.SEPARATOR]
                assert "Trennblatt" in texts[page]
    assert all(not t.degradationen for t in truths)


def test_seeded_akten_are_open_and_hold_near_duplicates(tenant: Mandant, caseworker: User) -> None:
    faelle = corpus.seed_akten(tenant, rng=random.Random(SEED), count=12, caseworker=caseworker)
    assert len(faelle) == 12
    akten = Akte.objects.for_tenant(tenant).filter(pk__in=[f.akte_id for f in faelle])
    assert {a.aktenzeichen for a in akten} == {f.aktenzeichen for f in faelle}
    assert all(a.status == Akte.Status.OPEN and a.bg_id for a in akten)
    assert Bedarfsgemeinschaft.objects.for_tenant(tenant).count() == 12
    assert Vorgang.objects.for_tenant(tenant).filter(akte__in=akten).count() >= 12
    assert {f.variante for f in faelle} >= {"gleicher_name", "geburtsname", "umlaut"}
    twins = [f for f in faelle if f.variante == "gleicher_name"]
    for twin in twins:
        main = twin.persons[0]
        same_name = Person.objects.for_tenant(tenant).filter(
            family_name=main.family_name, given_names=main.given_names
        )
        assert len({p.birth_date for p in same_name}) >= 2
