#!/usr/bin/env python3
"""Install the Debian packages a feature needs, when we can (root and apt), or say what is
missing. `run` lists optional packages: without them koffer runs, visibly without that
feature. `test` lists what the suite needs, `bench` what `make bench` needs, `citus` what
building Citus from `../shared/engines/citus/` needs (`scripts/citus.py`); with --require a
missing package is an error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# package -> (binary that proves it is installed, what it is for)
RUN: dict[str, tuple[str, str]] = {
    "poppler-utils": ("pdftoppm", "Seitenvorschau von PDF-Dokumenten"),
    # The fonts of every PDF koffer typesets (Aktenauszug, Eingangsbestätigung): Liberation
    # Sans first, DejaVu as the fallback (koffer.pdf.fonts). Without both, typst falls back
    # to its built-in fonts.
    "fonts-liberation2": (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "Hausschrift der erzeugten PDFs (Liberation Sans)",
    ),
    "fonts-dejavu-core": (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "Ersatzschrift der erzeugten PDFs (DejaVu Sans)",
    ),
    # Converts a document with fonts that are not embedded (or colours without a profile)
    # to PDF/A before it goes into an Aktenauszug; without it such an Aktenauszug is a
    # plain PDF and its cover says why (koffer.pdf.pdfa).
    "ghostscript": ("gs", "Umwandlung fremder PDFs in PDF/A für den Aktenauszug"),
    # Headless LibreOffice (no X11, no Java): Writer converts DOCX, DOC and ODT to PDF for
    # the Akte (49 packages, ~20 s to install); Calc and Impress add spreadsheets and
    # presentations (~10 s more). Without one of them its files keep their original and
    # the preview says the conversion failed.
    "libreoffice-writer-nogui": ("soffice", "Umwandlung von Office-Dokumenten in PDF"),
    "libreoffice-calc-nogui": (
        "/usr/lib/libreoffice/program/libsclo.so",
        "Umwandlung von Tabellen (XLSX, ODS) in PDF",
    ),
    "libreoffice-impress-nogui": (
        "/usr/lib/libreoffice/program/libsdlo.so",
        "Umwandlung von Präsentationen (PPTX, ODP) in PDF",
    ),
    # Posteingang OCR (koffer.inbox.verarbeitung.texterkennung): ocrmypdf (a Python
    # package in requirements.lock) drives tesseract with the German model and checks or
    # converts PDF/A with Ghostscript (above). unpaper (ocrmypdf --clean) and pngquant
    # (-O2 and above) are ocrmypdf's optional tools: koffer runs neither by default (the
    # cost and the fidelity of the scan, see texterkennung), they are small and here for
    # an operator who turns them on. jbig2enc is not packaged in bookworm.
    "tesseract-ocr": ("tesseract", "Texterkennung gescannter Post"),
    "tesseract-ocr-deu": (
        "/usr/share/tesseract-ocr/5/tessdata/deu.traineddata",
        "deutsche Sprachdaten der Texterkennung",
    ),
    "unpaper": ("unpaper", "Bereinigung der Scans vor der Texterkennung"),
    "pngquant": ("pngquant", "verlustbehaftete Verkleinerung durchsuchbarer PDFs"),
    # Local printing speaks IPP itself (koffer.outbox.lokaldruck.ipp) and needs no package
    # to print on a real printer. ippeveprinter is the demo's printer „Drucker Bürgerbüro
    # (Demo)“ (manage.py demo_drucker, started by make run) and the printer the tests
    # print on; it insists on Avahi's D-Bus, so a private dbus-daemon stands in.
    "cups-ipp-utils": ("ippeveprinter", "Demo-Drucker für den lokalen Druck (IPP)"),
    "dbus-daemon": ("dbus-daemon", "privater D-Bus für den Demo-Drucker"),
    # Online-Dienste: pysaml2 signs and verifies SAML messages (BundID) with the xmlsec1
    # program; without it the portal offers no BundID sign-in (e-mail accounts still work).
    "xmlsec1": ("xmlsec1", "Anmeldung mit BundID (SAML-Signaturen)"),
}
# Features that need several packages, and what koffer does without them (German, for the
# operator): printed once when one of the feature's packages is missing.
FEATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "Postausgang: Demo-Drucker": (
        ("cups-ipp-utils", "dbus-daemon"),
        "kein Demo-Drucker: {missing} {fehlt}; die Demo zeigt den Drucker, ein Druck darauf "
        "meldet „nicht erreichbar“ (PDF und Sammel-PDF gehen).",
    ),
    "Posteingang: Texterkennung": (
        ("tesseract-ocr", "tesseract-ocr-deu", "ghostscript"),
        "Texterkennung aus: {missing} {fehlt}; Scans werden ohne Texterkennung abgelegt "
        "und in der Suche nicht gefunden.",
    ),
}
TEST: dict[str, tuple[str, str]] = {
    **RUN,
    "chromium": ("chromium", "Browser-Tests mit Playwright"),
    "postgresql": ("/usr/lib/postgresql", "Tests auf PostgreSQL"),
    # make test smoke-runs every benchmark (make bench-smoke), core_start_page with wrk.
    "wrk": ("wrk", "Lastgenerator für den Probelauf der Benchmarks"),
}
BENCH: dict[str, tuple[str, str]] = {
    **RUN,
    "wrk": ("wrk", "Lastgenerator für make bench (core_start_page)"),
    "postgresql": ("/usr/lib/postgresql", "Benchmarks auf PostgreSQL"),
}
# Building Citus (scripts/citus.py, make test-distributed): the list of the engines'
# build.sh. libcurl is left out: Citus is configured --without-libcurl (no telemetry).
CITUS: dict[str, tuple[str, str]] = {
    "postgresql-15": ("/usr/lib/postgresql/15/bin/postgres", "PostgreSQL 15 für Citus"),
    "postgresql-server-dev-15": (
        # pg_config alone comes with the client package: the server's header proves it.
        "/usr/include/postgresql/15/server/postgres.h",
        "Header von PostgreSQL 15 zum Bau von Citus",
    ),
    "gcc": ("gcc", "C-Compiler zum Bau von Citus"),
    "make": ("make", "make zum Bau von Citus"),
    "autoconf": ("autoconf", "autoconf zum Bau von Citus"),
    "flex": ("flex", "flex zum Bau von Citus"),
    "bison": ("bison", "bison zum Bau von Citus"),
    "pkg-config": ("pkg-config", "pkg-config zum Bau von Citus"),
    "liblz4-dev": ("/usr/include/lz4.h", "LZ4 für Citus' Spaltenspeicher"),
    "libzstd-dev": ("/usr/include/zstd.h", "zstd für Citus' Spaltenspeicher"),
    "libkrb5-dev": ("/usr/include/krb5.h", "Kerberos-Header (PostgreSQL-Header)"),
    "libssl-dev": ("/usr/include/openssl/ssl.h", "OpenSSL-Header (PostgreSQL-Header)"),
    "libselinux1-dev": ("/usr/include/selinux/selinux.h", "SELinux-Header (PostgreSQL-Header)"),
    "libxml2-dev": ("/usr/include/libxml2/libxml/parser.h", "libxml2-Header"),
    "libxslt1-dev": ("/usr/include/libxslt/xslt.h", "libxslt-Header"),
    "libpam0g-dev": ("/usr/include/security/pam_appl.h", "PAM-Header (PostgreSQL-Header)"),
    "libreadline-dev": ("/usr/include/readline/readline.h", "readline-Header"),
    "zlib1g-dev": ("/usr/include/zlib.h", "zlib-Header"),
}
# Packages installed at the version of another, installed package: the server's headers
# must match the running server (Debian's security archive may offer a newer one).
PINNED_TO: dict[str, str] = {
    "postgresql-server-dev-15": "postgresql-15",
    "postgresql-15": "postgresql-15",
}
PURPOSES = {"run": RUN, "test": TEST, "bench": BENCH, "citus": CITUS}


def present(probe: str) -> bool:
    return os.path.exists(probe) if probe.startswith("/") else shutil.which(probe) is not None


def installed_version(package: str) -> str:
    """The installed version of a Debian package, or "" when it is not installed."""
    if shutil.which("dpkg-query") is None:
        return ""
    found = subprocess.run(  # noqa: S603
        ["dpkg-query", "-W", "-f=${Version}", package],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else ""


def pinned(package: str) -> str:
    """``package`` as apt-get is asked for it: ``name=version`` when PINNED_TO says so."""
    version = installed_version(PINNED_TO[package]) if package in PINNED_TO else ""
    return f"{package}={version}" if version else package


def main(argv: list[str]) -> int:
    purpose = argv[1] if len(argv) > 1 else "run"
    require = "--require" in argv
    wanted = PURPOSES.get(purpose, RUN)
    missing = [pkg for pkg, (probe, _) in wanted.items() if not present(probe)]
    if not missing:
        return 0
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if can_install:
        print(f"Installiere Systempakete: {' '.join(missing)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        update = subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)  # noqa: S607
        install = subprocess.run(  # noqa: S603
            [  # noqa: S607
                "apt-get",
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                *(pinned(pkg) for pkg in missing),
            ],
            env=env,
            check=False,
        )
        if update.returncode == 0 and install.returncode == 0:
            missing = [pkg for pkg, (probe, _) in wanted.items() if not present(probe)]
    for pkg in missing:
        print(f"FEHLT: Paket {pkg} – ohne es: {wanted[pkg][1]} nicht verfügbar.", file=sys.stderr)
    for feature, (packages, degraded) in FEATURES.items():
        absent = [pkg for pkg in packages if pkg in missing]
        if absent:
            verb = "fehlt" if len(absent) == 1 else "fehlen"
            text = degraded.format(missing=", ".join(absent), fehlt=verb)
            print(f"{feature}: {text}", file=sys.stderr)
    return 1 if (missing and require) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
