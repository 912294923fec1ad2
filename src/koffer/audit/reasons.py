"""The one rule for a reason text (Grund): every change that needs a reason (moving an
Akte or a document, cancelling, taking a member out of a BG, withdrawing or declining a
hold, rejecting an invoice) asks for it the same way.

A reason is trimmed, must not be empty, and must fit where it is kept. It is never cut
short silently: the audit event is the record, and a cut reason would say less than the
user wrote. Forms and API schemas already cap the length, so the limit here is the last
guard for every other caller.
"""

from __future__ import annotations

from koffer.errors import DomainError

# What the E-Akte keeps (Dokument.cancel_reason, forms and API fields): the default.
REASON_MAX_LENGTH = 500


class ReasonError(DomainError):
    """The reason is missing or longer than the field that keeps it (API: 422)."""


def need_reason(
    reason: str | None,
    *,
    max_length: int = REASON_MAX_LENGTH,
    prompt: str = "Bitte geben Sie einen Grund an.",
) -> str:
    """The trimmed reason, or ``ReasonError``: ``reason_required`` with ``prompt`` when it is
    empty, ``reason_too_long`` when it exceeds ``max_length`` characters."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonError("reason_required", prompt)
    if len(reason) > max_length:
        raise ReasonError(
            "reason_too_long", f"Der Grund darf höchstens {max_length} Zeichen lang sein."
        )
    return reason
