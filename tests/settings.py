"""Test settings: a throwaway var/ folder, a fast password hasher, strict tenant scoping."""

import os
import tempfile

os.environ.setdefault("KOFFER_VAR_DIR", tempfile.mkdtemp(prefix="koffer-test-"))
os.environ.setdefault("KOFFER_FAST_HASHER", "1")

from koffer.settings import *  # noqa: F403

KOFFER_STRICT_TENANCY = True
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Test databases are flushed between transactional tests; only this switch lets the flush
# empty the append-only audit table (see audit migration 0003). UPDATE stays refused.
KOFFER_AUDIT_MAINTENANCE = True
if DATABASES["default"]["ENGINE"] in {  # noqa: F405
    "django.db.backends.postgresql",
    "koffer.tenancy.citus",
}:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c koffer.audit_maintenance=on"  # noqa: F405
