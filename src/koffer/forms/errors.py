"""User-caused problems in the Formulare: the shared kinds of ``koffer.errors``, grouped.
The API turns them into problem+json in one handler; pages show ``.message``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from koffer import errors


class FormsError(errors.DomainError):
    """A form, draft or submission someone can fix; never a 500."""


class Conflict(FormsError, errors.Conflict):
    """The draft is no longer open (submitted, discarded)."""


class Forbidden(FormsError, errors.Forbidden):
    """The actor may not manage the catalogue or fill forms in this Akte."""


class NotFound(FormsError, errors.NotFound):
    """Unknown or not visible: both look the same from outside."""


class Ungueltig(FormsError):
    """Answers or a definition with findings (422). ``.message`` names every finding;
    ``.fehler`` (path → German messages) goes into the problem document as ``fehler``."""

    def __init__(self, code: str, message: str, *, fehler: Mapping[str, Sequence[str]]) -> None:
        super().__init__(code, message)
        self.fehler = {pfad: list(meldungen) for pfad, meldungen in fehler.items()}
        self.extra = {"fehler": self.fehler}


def befunde_text(fehler: Mapping[str, Sequence[str]], *, ganz: str = "Formular") -> str:
    """Every finding in one line: ``pfad: Meldung; …``."""
    return "; ".join(
        f"{pfad or ganz}: {meldung}" for pfad, meldungen in fehler.items() for meldung in meldungen
    )
