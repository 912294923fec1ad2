"""A form's step as accessible HTML and a POSTed step read back into answers, pure: a
:class:`~koffer.forms.definition.Definition` and plain dicts in, HTML or answers out, no
models.

- :func:`schritt_html`: the shown fields of a step as KERN form controls, with labels,
  help, „Pflichtfeld“, errors at the field and a summary at the top that links to each;
  the page owns ``<form>`` and its buttons.
- :func:`navigation_html`: „Schritt 2 von 6“ and the list of shown steps.
- :func:`feld_html`, :func:`feld_aus_post`: one field alone, the same way (a page that
  edits one field at a time: the remote expert's session).
- :func:`antworten_aus_post`: the step's answers from the request, in the shapes
  :func:`~koffer.forms.definition.pruefen` reads.

Control names: ``f-<feld>``, ``f-<feld>-<teil>`` (address parts, signature), and
``f-<feld>-<zeile>-<spalte>`` (table cells); the button that adds a table row posts
``weitere_zeile=<feld>``.

What the page around it does (a step's POST):

1. ``antworten_aus_post`` replaces the step's answers in the draft (an emptied field is
   absent from it, so it goes); files from ``request.FILES`` and a signature's ``bild`` and
   ``zeit`` are added by the page (see :mod:`.post`).
2. ``pruefen(…, schritt=…, streng=False)``: a field this step's new answers hide (the
   person changed the answer it depends on) was still posted; a draft keeps it aside
   instead of refusing it.
3. The same step again, with the answers and messages, when there are messages, when
   ``weitere_zeile`` was pressed (a table shows one empty row more than it has filled
   rows), or when the new answers show fields of this step that were not on the page;
   otherwise the next shown step.
"""

from .post import antworten_aus_post, feld_aus_post
from .schritt import feld_html, navigation_html, schritt_html

__all__ = ["antworten_aus_post", "feld_aus_post", "feld_html", "navigation_html", "schritt_html"]
