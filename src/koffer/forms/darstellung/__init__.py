"""A form's step as accessible HTML and a POSTed step read back into answers, pure: a
:class:`~koffer.forms.definition.Definition` and plain dicts in, HTML or answers out, no
models.

- :func:`schritt_html`: the shown fields of a step as KERN form controls, with labels,
  help, „Pflichtfeld“, errors at the field and a summary at the top that links to each;
  the page owns ``<form>`` and its buttons.
- :func:`navigation_html`: „Schritt 2 von 6“ and the list of shown steps.
- :func:`antworten_aus_post`: the step's answers from the request, in the shapes
  :func:`~koffer.forms.definition.pruefen` reads.

Control names: ``f-<feld>``, ``f-<feld>-<teil>`` (address parts, signature), and
``f-<feld>-<zeile>-<spalte>`` (table cells); the button that adds a table row posts
``weitere_zeile=<feld>``.
"""

from .post import antworten_aus_post
from .schritt import navigation_html, schritt_html

__all__ = ["antworten_aus_post", "navigation_html", "schritt_html"]
