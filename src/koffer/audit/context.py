"""Per-request context for audit events (client address), set by the middleware."""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str] = ContextVar("koffer_audit_client_ip", default="")
