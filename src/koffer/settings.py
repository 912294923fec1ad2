"""Settings from KOFFER_* environment variables with embedded defaults.

Embedded defaults run the whole administration from one laptop: SQLite and blob
folder under ``var/``. ``KOFFER_DATABASE_URL=postgres://...`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("KOFFER_VAR_DIR", PROJECT_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def _secret_key() -> str:
    """Read the key from the environment or from var/, generating it on first start."""
    if key := os.environ.get("KOFFER_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("KOFFER_DEBUG", False)
DEMO_MODE = _env_bool("KOFFER_DEMO", True)
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("KOFFER_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI from its own static files instead of a CDN
    "koffer.audit",
    "koffer.blobs",
    "koffer.tresor",
    "koffer.tenancy",
    "koffer.accounts",
    "koffer.jobs",
    "koffer.api",
    "koffer.shell",
    "koffer.records",
    "koffer.placements",
    "koffer.inbox",
    "koffer.outbox",
    "koffer.forms",
    "koffer.field",
    "koffer.privacy",
    "koffer.portal",
    "koffer.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "koffer.shell.middleware.CSPMiddleware",  # django-csp's, policy built once
    "koffer.shell.middleware.RequestSizeLimitMiddleware",
    "koffer.api.middleware.ProblemMiddleware",  # every /api/ error as problem+json
    "koffer.field.unterwegs.middleware.GesperrtMiddleware",  # Koffer mode: crypto-erased
    "koffer.field.unterwegs.middleware.EinrichtenMiddleware",  # Koffer mode: a fresh Koffer
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "koffer.accounts.middleware.OTPMiddleware",  # django-otp's, device read in plain SQL
    "koffer.accounts.middleware.IdleTimeoutMiddleware",
    "koffer.accounts.middleware.TenantMiddleware",
    "koffer.shell.middleware.RequestBodyMiddleware",  # before the CSRF check parses it
    "koffer.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "koffer.urls"
WSGI_APPLICATION = "koffer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "koffer.shell.context.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("KOFFER_DATABASE_URL", f"sqlite:///{VAR_DIR / 'koffer.sqlite3'}")
# citus://… is PostgreSQL distributed by tenant_id: the same server protocol, with the schema
# editor that shapes the tables for Citus (koffer.tenancy.citus).
_CITUS = DATABASE_URL.startswith("citus://")
DATABASES = {
    "default": dj_database_url.parse(
        "postgres://" + DATABASE_URL.removeprefix("citus://") if _CITUS else DATABASE_URL,
        conn_max_age=600,
        engine="koffer.tenancy.citus" if _CITUS else None,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Keep connections like on PostgreSQL: a new SQLite connection runs the PRAGMAs below,
    # parses the schema and starts with a cold page cache, which cost more than all of a
    # page's queries together (make bench ONLY=core_start_page).
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-20000; PRAGMA temp_store=MEMORY;"
        ),
    }
# A Koffer's data at rest (koffer.tresor): KOFFER_TRESOR=1 encrypts the SQLite database
# (SQLCipher) and the documents. The key is not read here but by every new connection and
# every document access from the environment (KOFFER_TRESOR_SCHLUESSEL, which `serve` sets
# after asking for the secret), so a missing key stops koffer with a German message and
# never falls back to plaintext.
KOFFER_TRESOR = _env_bool("KOFFER_TRESOR", False)
KOFFER_TRESOR_DATEI = VAR_DIR / "tresor.json"
if KOFFER_TRESOR:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "KOFFER_TRESOR=1 verschlüsselt die eingebettete SQLite-Datenbank eines Koffers;"
            " mit KOFFER_DATABASE_URL auf einen Datenbankserver ist es nicht vorgesehen."
        )
    DATABASES["default"]["ENGINE"] = "koffer.tresor.sqlcipher"
    # Page images are plaintext pictures of documents: on a Koffer they are cached in
    # memory, gone when it is off.
    from koffer.tresor.orte import seiten_cache_anlegen

    KOFFER_PAGE_CACHE_DIR = seiten_cache_anlegen(VAR_DIR)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "koffer.accounts.backends.UsernameOrEmailBackend",
]
PASSWORD_HASHERS = [
    # argon2id at OWASP's parameters, a few hashes at a time (koffer.accounts.passwords)
    "koffer.accounts.passwords.Argon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password hashes computed at the same time on this machine (all web workers together).
KOFFER_PASSWORD_HASH_SLOTS = int(
    os.environ.get("KOFFER_PASSWORD_HASH_SLOTS") or max(1, (os.cpu_count() or 2) // 2)
)
if os.environ.get("KOFFER_FAST_HASHER"):  # tests only: argon2 costs ~35 ms per login
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shell:start"
LOGOUT_REDIRECT_URL = "accounts:login"

# TOTP is required for every role that sees personal data. Demo mode may waive it, visibly.
KOFFER_REQUIRE_OTP = _env_bool("KOFFER_REQUIRE_OTP", not DEMO_MODE)
OTP_TOTP_ISSUER = "koffer"

# Sign-in lock-out (koffer.accounts.lockout): failures per account, whatever spelling of
# its name or e-mail address was typed, lock the account for everyone; failures from one
# address over any names throttle that address. Lock the account rather than the address
# first: a district's staff share one NAT address, and one person mistyping must not lock
# out the whole office, hence the far higher address limit.
KOFFER_LOGIN_FAILURE_LIMIT = int(os.environ.get("KOFFER_LOGIN_FAILURE_LIMIT", "5"))
KOFFER_LOGIN_LOCKOUT_SECONDS = 15 * 60
KOFFER_LOGIN_ADDRESS_LIMIT = int(os.environ.get("KOFFER_LOGIN_ADDRESS_LIMIT", "30"))
KOFFER_LOGIN_ADDRESS_WINDOW_SECONDS = 15 * 60

# Posteingang OCR of image-only scans (koffer.inbox.verarbeitung.texterkennung):
# "tesseract" (default: tesseract itself, text layer and PDF/A made by koffer, about half
# the CPU a page of ocrmypdf's with the same accuracy on the benchmark corpus;
# docs/benchmarks.md, 2026-12-07) or "ocrmypdf" (every file through ocrmypdf, as before).
KOFFER_INBOX_OCR_ENGINE = os.environ.get("KOFFER_INBOX_OCR_ENGINE", "tesseract")

KOFFER_IDLE_TIMEOUT_SECONDS = int(os.environ.get("KOFFER_IDLE_TIMEOUT", str(30 * 60)))
SESSION_COOKIE_AGE = 12 * 3600
SESSION_ENGINE = "koffer.accounts.sessions"
HTTPS = _env_bool("KOFFER_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie
CSRF_FAILURE_VIEW = "koffer.shell.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Limits ---------------------------------------------------------------------------
# One uploaded document (E-Akte); larger files are refused with a clear message.
KOFFER_MAX_UPLOAD_BYTES = int(os.environ.get("KOFFER_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))
# A request may carry one file of the upload limit plus form fields; larger bodies get 413.
KOFFER_MAX_REQUEST_BYTES = int(
    os.environ.get("KOFFER_MAX_REQUEST_BYTES", str(KOFFER_MAX_UPLOAD_BYTES + 2 * 1024 * 1024))
)
# LibreOffice for the PDF rendering of Office/ODF documents ("" or missing: no rendering).
KOFFER_SOFFICE = os.environ.get("KOFFER_SOFFICE", "soffice")
KOFFER_OFFICE_TIMEOUT_SECONDS = int(os.environ.get("KOFFER_OFFICE_TIMEOUT_SECONDS", "120"))
# Ghostscript converts documents that are not PDF/A before they go into an Aktenauszug
# ("" or missing: no conversion; such an Aktenauszug is a plain PDF and says why).
KOFFER_GHOSTSCRIPT = os.environ.get("KOFFER_GHOSTSCRIPT", "gs")
KOFFER_GHOSTSCRIPT_MEMORY_MB = int(os.environ.get("KOFFER_GHOSTSCRIPT_MEMORY_MB", "1024"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Pages of one PDF and frames of one TIFF, unless the Mandant sets its own limit
# (Mandant.max_pages_per_file / max_image_frames). 2,000 pages hold the thickest
# Leistungsakte a Jobcenter scans in one go; a multi-page TIFF comes from a fax or a
# scanner and rarely has more than a few dozen pages, and each frame is a whole bitmap.
KOFFER_MAX_PAGES_PER_FILE = int(os.environ.get("KOFFER_MAX_PAGES_PER_FILE", "2000"))
KOFFER_MAX_IMAGE_FRAMES = int(os.environ.get("KOFFER_MAX_IMAGE_FRAMES", "200"))
# Bounds of every decompression at upload (records/inspection.py): one PDF stream or ZIP
# member unpacked, a whole ZIP container unpacked, the pixels of one image, and the
# memory and time of the child process that opens PDFs and images.
KOFFER_INSPECT_MAX_UNPACKED_BYTES = int(
    os.environ.get("KOFFER_INSPECT_MAX_UNPACKED_BYTES", str(256 * 1024 * 1024))
)
KOFFER_INSPECT_MAX_ZIP_BYTES = int(
    os.environ.get("KOFFER_INSPECT_MAX_ZIP_BYTES", str(512 * 1024 * 1024))
)
KOFFER_INSPECT_MAX_PIXELS = int(os.environ.get("KOFFER_INSPECT_MAX_PIXELS", "100000000"))
KOFFER_INSPECT_MEMORY_BYTES = int(
    os.environ.get("KOFFER_INSPECT_MEMORY_BYTES", str(1536 * 1024 * 1024))
)
# CPU (and wall-clock) seconds for inspecting one uploaded file, while a web worker waits.
# Measured: a 1 MB text PDF 0.03 s, 2000 pages 0.1 s, a 100 MB Flate-scanned PDF 2.5 s; 20 s
# leaves ample room, and a file that slips past every bound costs 20 s, not a minute.
KOFFER_INSPECT_SECONDS = int(os.environ.get("KOFFER_INSPECT_SECONDS", "20"))
# The trial typesetting of a template version (outbox.vorlagen.probesatz): its child's
# memory and CPU seconds; the parent waits five seconds more.
KOFFER_PROBESATZ_MEMORY_BYTES = int(
    os.environ.get("KOFFER_PROBESATZ_MEMORY_BYTES", str(1024 * 1024 * 1024))
)
KOFFER_PROBESATZ_SECONDS = int(os.environ.get("KOFFER_PROBESATZ_SECONDS", "10"))
# The same for the background job that reads the text of every page (2000 pages: 2.6 s).
KOFFER_INSPECT_JOB_SECONDS = int(os.environ.get("KOFFER_INSPECT_JOB_SECONDS", "60"))
# All streams of one PDF together, each counted once (one page is bounded by the
# per-stream cap above, a stream counted once per time the page draws it).
KOFFER_INSPECT_MAX_PDF_TOTAL_BYTES = int(
    os.environ.get("KOFFER_INSPECT_MAX_PDF_TOTAL_BYTES", str(2048 * 1024 * 1024))
)
# Page images are rendered in a child process too (files stored before the upload bounds
# existed were never checked): its memory, and the time one page may take.
KOFFER_RENDER_MEMORY_BYTES = int(
    os.environ.get("KOFFER_RENDER_MEMORY_BYTES", str(1024 * 1024 * 1024))
)
KOFFER_RENDER_SECONDS = int(os.environ.get("KOFFER_RENDER_SECONDS", "20"))

# --- Blobs, jobs ----------------------------------------------------------------------
# Public holidays for deadline arithmetic: "" (nationwide) or a state code such as "BY".
KOFFER_HOLIDAY_STATE = os.environ.get("KOFFER_HOLIDAY_STATE", "")
KOFFER_BLOB_DIR = Path(os.environ.get("KOFFER_BLOB_DIR", VAR_DIR / "blobs")).resolve()
KOFFER_INBOX_DIR = Path(os.environ.get("KOFFER_INBOX_DIR", VAR_DIR / "inbox")).resolve()
# How often every worker looks into the drop folders (seconds; 0: never, then run
# `manage.py inbox_watch` yourself).
KOFFER_INBOX_WATCH_SECONDS = float(os.environ.get("KOFFER_INBOX_WATCH_SECONDS", "10"))
# How often every worker makes the Postausgang's batches at the cut-off times, packs them
# and hands over batches nobody confirmed (seconds; 0: never).
KOFFER_OUTBOX_DISPATCH_SECONDS = float(os.environ.get("KOFFER_OUTBOX_DISPATCH_SECONDS", "30"))
# Child processes that typeset a serial letter's letters while the job writes the ones
# before them (0: the job typesets them itself). Default: one a core.
KOFFER_OUTBOX_SATZ_PROZESSE = int(
    os.environ.get("KOFFER_OUTBOX_SATZ_PROZESSE", str(os.cpu_count() or 1))
)
# The Postausgang's drop folders (Ablageordner) of print providers lie under this folder
# (in practice an SFTP directory the provider's machine mounts).
KOFFER_ABLAGE_ROOT = Path(os.environ.get("KOFFER_ABLAGE_ROOT", VAR_DIR / "ablage")).resolve()
# How often every worker reads the receipts and reports in those folders (seconds; 0: never).
KOFFER_OUTBOX_ABLAGE_SECONDS = float(os.environ.get("KOFFER_OUTBOX_ABLAGE_SECONDS", "15"))
KOFFER_BLOB_BACKEND = os.environ.get("KOFFER_BLOB_BACKEND", "local")
# Documents in S3-compatible object storage instead of KOFFER_BLOB_DIR: s3://bucket/prefix.
# Endpoint, region and keys from the usual variables (without keys: boto3's own chain).
KOFFER_BLOB_URL = os.environ.get("KOFFER_BLOB_URL", "")
KOFFER_BLOB_S3_ENDPOINT = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get(
    "AWS_ENDPOINT_URL", ""
)
KOFFER_BLOB_S3_REGION = (
    os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
)
KOFFER_BLOB_S3_ACCESS_KEY = os.environ.get("AWS_ACCESS_KEY_ID", "")
KOFFER_BLOB_S3_SECRET_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
# From this size on a document goes up in parts (multipart upload).
KOFFER_BLOB_S3_MULTIPART_BYTES = int(
    os.environ.get("KOFFER_BLOB_S3_MULTIPART_BYTES", str(16 * 1024 * 1024))
)
# "path" (bucket in the path: MinIO, SeaweedFS, Ceph) or "virtual" (bucket in the host name).
KOFFER_BLOB_S3_ADDRESSING = os.environ.get("KOFFER_BLOB_S3_ADDRESSING", "path")
# Seconds to connect and to wait for an answer, and attempts per request (retried with
# backoff): a store that is down or hangs costs a request at most about attempts x timeout.
KOFFER_BLOB_S3_CONNECT_TIMEOUT = float(os.environ.get("KOFFER_BLOB_S3_CONNECT_TIMEOUT", "5"))
KOFFER_BLOB_S3_READ_TIMEOUT = float(os.environ.get("KOFFER_BLOB_S3_READ_TIMEOUT", "60"))
KOFFER_BLOB_S3_ATTEMPTS = int(os.environ.get("KOFFER_BLOB_S3_ATTEMPTS", "4"))
if KOFFER_TRESOR:
    KOFFER_BLOB_BACKEND = "tresor"  # a Koffer's documents are always encrypted
# Keys that seal the audit chain (HMAC) and the signed chain heads (anchors). Both belong
# outside the database (who can write to it must not read them); every host that writes
# audit events needs the same key folder.
KOFFER_AUDIT_KEY_DIR = Path(os.environ.get("KOFFER_AUDIT_KEY_DIR", VAR_DIR / "keys")).resolve()
# FIT-Connect (Posteingang): the destinations' private keys (decryption, event signing)
# and OAuth client secrets live in the database, encrypted under the secret key
# (koffer.audit.geheimnisse); files of earlier versions in this folder are moved there at
# the first start. How often every worker polls the Zustelldienst (seconds; 0: never, then run
# `manage.py inbox_fitconnect` yourself); the size of new RSA keys (FIT-Connect: 4096).
KOFFER_FITCONNECT_KEY_DIR = Path(
    os.environ.get("KOFFER_FITCONNECT_KEY_DIR", VAR_DIR / "fitconnect")
).resolve()
KOFFER_FITCONNECT_POLL_SECONDS = float(os.environ.get("KOFFER_FITCONNECT_POLL_SECONDS", "60"))
KOFFER_FITCONNECT_KEY_BITS = int(os.environ.get("KOFFER_FITCONNECT_KEY_BITS", "4096"))
# After a key change (`manage.py inbox_fitconnect_schluessel`) the previous decryption key
# is kept at least this many days, and then until a poll finds no submission for it.
KOFFER_FITCONNECT_KEY_KEEP_DAYS = int(os.environ.get("KOFFER_FITCONNECT_KEY_KEEP_DAYS", "30"))
KOFFER_AUDIT_ANCHOR_DIR = Path(
    os.environ.get("KOFFER_AUDIT_ANCHOR_DIR", VAR_DIR / "audit-anchors")
).resolve()
# The worker anchors every chain head that moved this often (seconds): a tail cut off
# the chain is found from the next anchor on (koffer.audit.anchors).
KOFFER_AUDIT_ANCHOR_INTERVAL = int(os.environ.get("KOFFER_AUDIT_ANCHOR_INTERVAL", "600"))
KOFFER_WORKER_HEARTBEAT_SECONDS = 5
# Python threads per granian web worker. One: two requests in one process only fight
# over the GIL (a thread back from SQLite waits up to 5 ms for it), so at 800 requests/s
# offered the start page's p95 was 77 ms with 4 threads, 23 ms with 2 and 6 ms with 1
# (make bench ONLY=core_start_page). Event streams, which hold a thread for long, are
# served by a process of their own (koffer.shell.live).
KOFFER_WEB_THREADS = int(os.environ.get("KOFFER_WEB_THREADS", "1"))
# Port of the web pages, and of the event-stream process (unset: streams on the pages'
# own origin, as in tests or behind a reverse proxy that routes them).
KOFFER_PORT = int(os.environ.get("KOFFER_PORT", "8000"))
KOFFER_LIVE_PORT = int(os.environ.get("KOFFER_LIVE_PORT") or 0) or None
# Open event streams of the stream process (one thread each, mostly asleep between two
# polls); further viewers are told to poll (503). `serve` starts the stream process with
# this number and gives the single-threaded web workers none. 30 open Platzbörse pages at
# once is plenty for a youth office or a Jobcenter; the README names this default.
KOFFER_LIVE_STREAMS = int(os.environ.get("KOFFER_LIVE_STREAMS", "30"))
# A running job whose heartbeat is older than this is queued again for another worker (its
# worker died, perhaps with its machine): the lease every worker of every machine keeps.
KOFFER_WORKER_STALE_SECONDS = int(os.environ.get("KOFFER_WORKER_STALE_SECONDS", "60"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KOFFER_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Koffer (field mode, issue 18) ------------------------------------------------------
# "buero" (default): this installation is the office that registers Koffer and checks Akten
# out to them. "koffer": this installation is a field worker's laptop; it pulls its
# checkout package from the office at KOFFER_BUERO_URL (manage.py koffer_abholen) and works
# from its own database and blob store without a network.
KOFFER_MODE = os.environ.get("KOFFER_MODE", "buero").strip().lower() or "buero"
if KOFFER_MODE not in {"buero", "koffer"}:
    raise ValueError(f"KOFFER_MODE={KOFFER_MODE!r}: erlaubt sind 'buero' und 'koffer'.")
# The office's base URL as the Koffer reaches it, e.g. https://koffer.kreis.example (no
# trailing /api/v1); only used in Koffer mode, `koffer_koppeln --buero` may name it instead.
KOFFER_BUERO_URL = os.environ.get("KOFFER_BUERO_URL", "").rstrip("/")
# Days a checkout lasts at most; then the office ends it and the Koffer wipes the Akte.
KOFFER_AUSLEIHE_TAGE = int(os.environ.get("KOFFER_AUSLEIHE_TAGE", "7"))
# A push counts as in a backup only when it arrived this many seconds before the backup
# began (manage.py backup_bestaetigt): longer than any push's transaction runs.
KOFFER_SICHERUNG_SPIELRAUM = int(os.environ.get("KOFFER_SICHERUNG_SPIELRAUM", "600"))

# --- Online-Dienste (portal): BundID sign-in by SAML 2.0 ------------------------------
# One service provider per installation. The base URL is how citizens' browsers reach
# koffer (the ACS and metadata URLs in the SP metadata are built from it; empty: the
# request's own, for demo and development only). Key and
# certificate sign the AuthnRequests; the IdP metadata is a file or an https URL. Without
# IdP metadata, demo mode signs in at the built-in demo identity provider (keys generated
# once into the database, shared by every machine; var/portal-saml/aktiv/ holds this
# process's copies for pysaml2), and outside demo mode the BundID sign-in is off.
KOFFER_PORTAL_SAML_BASE_URL = os.environ.get("KOFFER_PORTAL_SAML_BASE_URL", "").rstrip("/")
KOFFER_PORTAL_SAML_ENTITY_ID = os.environ.get("KOFFER_PORTAL_SAML_ENTITY_ID", "")
KOFFER_PORTAL_SAML_KEY_FILE = os.environ.get("KOFFER_PORTAL_SAML_KEY_FILE", "")
KOFFER_PORTAL_SAML_CERT_FILE = os.environ.get("KOFFER_PORTAL_SAML_CERT_FILE", "")
KOFFER_PORTAL_SAML_IDP_METADATA = os.environ.get("KOFFER_PORTAL_SAML_IDP_METADATA", "")
KOFFER_PORTAL_SAML_DIR = VAR_DIR / "portal-saml"
# Seconds a started sign-in may take at the IdP; clock skew accepted against the IdP.
KOFFER_PORTAL_SAML_REQUEST_SECONDS = 10 * 60
KOFFER_PORTAL_SAML_CLOCK_SKEW_SECONDS = 60
# E-mail accounts: hours a verification link stays valid.
KOFFER_PORTAL_EMAIL_LINK_HOURS = 48
# A citizen's bearer token for the portal API (portal.auth): short-lived, not revocable.
KOFFER_PORTAL_API_TOKEN_SECONDS = 15 * 60
# Rate limits of the portal (koffer.portal.drossel): name -> (requests, window in seconds);
# 0 requests switches one off. Counted: mails of registration and "send the link again"
# per address typed and per client address, uploaded files per account, submissions that
# passed the check (the receipt is typeset) per account, SAML answers per client address.
# Citizens may share a NAT address (a library, a care home), hence the higher limits there.
KOFFER_PORTAL_LIMITS: dict[str, tuple[int, int]] = {
    "email_adresse": (int(os.environ.get("KOFFER_PORTAL_LIMIT_EMAIL_ADRESSE", "5")), 3600),
    "email_client": (int(os.environ.get("KOFFER_PORTAL_LIMIT_EMAIL_CLIENT", "30")), 3600),
    "upload": (int(os.environ.get("KOFFER_PORTAL_LIMIT_UPLOAD", "200")), 3600),
    "einreichen": (int(os.environ.get("KOFFER_PORTAL_LIMIT_EINREICHEN", "20")), 3600),
    "acs_client": (int(os.environ.get("KOFFER_PORTAL_LIMIT_ACS_CLIENT", "300")), 600),
}

# --- I18N, static ---------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch")]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "koffer.shell.staticfiles.CachedUrlStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KOFFER_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# The Koffer's own printer (issue 18): a mobile printer reached over IPP, e.g.
# ``ipp://localhost:631/printers/mobil`` (CUPS) — the office's printers do not travel.
# Set, it is the Mandant's printer „Koffer-Drucker“ (outbox.lokaldruck), added on its
# first print; submitted forms and released letters print on it, offline too.
KOFFER_DRUCKER = os.environ.get("KOFFER_DRUCKER", "").strip()
