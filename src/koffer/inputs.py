"""Form inputs every app's forms use, so that a date, an amount and a choice behave the same
on every page.

- ``<input type=date>`` takes and shows only ISO dates (``2026-12-06``). Django's own
  ``DateInput`` renders the first localised input format (``06.12.2026`` under German
  settings), which the browser drops with a console warning: the field shows blank.
- ``<input type=number>`` needs a dot. Amounts are therefore rendered unlocalised
  (``75.50``) and read with either a dot or a German comma (``75,50``: a client without a
  number widget, or the API's form posts).
- A select's empty choice reads „Bitte wählen“ instead of Django's ``---------``.

Kept outside the app layers (like ``koffer.errors``) so that accounts, records, placements
and privacy can all import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.utils.choices import BaseChoiceIterator

ISO_DATE = "%Y-%m-%d"
CHOOSE = "Bitte wählen"
INPUT_CLASS = "kern-form-input__input"
TEXT = {"class": INPUT_CLASS}
SELECT = {"class": "kern-form-input__select"}


def text_field(
    label: str, *, required: bool = True, max_length: int = 200, **kw: Any
) -> forms.CharField:
    """A one-line text input with the design system's look."""
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.TextInput(TEXT), **kw
    )


class DateInput(forms.DateInput):
    """A browser date picker; its value is always ISO, whatever the active locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"class": INPUT_CLASS, **(attrs or {})}, format=ISO_DATE)


class DecimalField(forms.DecimalField):
    """An amount with a dot or a German decimal comma; rendered with a dot for
    ``type=number`` (a localised ``75,50`` would leave the browser's field blank)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and "," in value and "." not in value:
            value = value.replace(",", ".")
        return super().to_python(value)


class CheckboxGroups(forms.CheckboxSelectMultiple):
    """Checkboxes, each group a fieldset with its legend (shell/form.html puts the whole
    field in a fieldset labelled with the field's label)."""

    template_name = "koffer/checkbox_groups.html"


class _GroupedChoices(BaseChoiceIterator):
    """The queryset's rows as ``[(group, [(pk, label), ...]), ...]``, read when rendered."""

    def __init__(self, field: GroupedModelMultipleChoiceField) -> None:
        self.field = field

    def __iter__(self) -> Iterator[Any]:
        groups: dict[str, list[tuple[str, str]]] = {}
        for obj in self.field.queryset or ():
            groups.setdefault(self.field.group_by(obj), []).append(
                (str(obj.pk), self.field.label_from_instance(obj))
            )
        yield from groups.items()


class GroupedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Checkboxes in labelled groups (instead of a Ctrl-click multi-select)."""

    widget = CheckboxGroups

    def __init__(self, *args: Any, group_by: Callable[[Any], str], **kwargs: Any) -> None:
        self.group_by = group_by
        super().__init__(*args, **kwargs)

    def _get_choices(self) -> Any:
        return _GroupedChoices(self)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)  # type: ignore[union-attr]
