"""Test settings: a throwaway var/ folder, a fast password hasher, strict tenant scoping."""

import os
import tempfile

os.environ.setdefault("KOFFER_VAR_DIR", tempfile.mkdtemp(prefix="koffer-test-"))
os.environ.setdefault("KOFFER_FAST_HASHER", "1")

from koffer.settings import *  # noqa: F403

KOFFER_STRICT_TENANCY = True
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
