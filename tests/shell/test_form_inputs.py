"""Every form of every app: a date picker gets an ISO value, an amount a dot, and a select's
empty choice reads „Bitte wählen“ (issue 14, items 3 and 5).

The forms are found by walking the koffer package, so a form added later is checked too.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from decimal import Decimal

import pytest
from django import forms

import koffer
from koffer.inputs import CHOOSE, DateInput, DecimalField

DAY = date(2026, 12, 6)


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for module in pkgutil.walk_packages(koffer.__path__, "koffer."):
        if not module.name.endswith("forms"):
            continue
        mod = importlib.import_module(module.name)
        for value in vars(mod).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__.startswith("koffer.")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


FORMS = _form_classes()


def test_the_walk_finds_the_forms_of_every_app() -> None:
    apps = {cls.__module__.split(".")[1] for cls in FORMS}
    assert {"accounts", "placements", "records", "privacy"} <= apps
    assert len(FORMS) > 40


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__qualname__)
def test_date_pickers_render_iso_dates(form_class: type[forms.BaseForm]) -> None:
    for name, field in form_class.base_fields.items():
        widget = field.widget
        if getattr(widget, "input_type", "") != "date":
            continue
        # Django's DateInput under German settings renders 06.12.2026: the browser drops it.
        html = widget.render(name, DAY)
        assert 'value="2026-12-06"' in html, f"{form_class.__qualname__}.{name}: {html}"


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__qualname__)
def test_no_django_dashes_as_empty_choice(form_class: type[forms.BaseForm]) -> None:
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.ModelMultipleChoiceField):
            continue  # no empty choice; its rows come from the database
        if isinstance(field, forms.ModelChoiceField):
            assert field.empty_label != "---------", f"{form_class.__qualname__}.{name}"
        elif isinstance(field, forms.ChoiceField):
            labels = [label for _, label in field.choices if isinstance(label, str)]
            assert "---------" not in labels, f"{form_class.__qualname__}.{name}"


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__qualname__)
def test_amounts_render_with_a_dot_for_number_inputs(form_class: type[forms.BaseForm]) -> None:
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.DecimalField):
            assert isinstance(field, DecimalField), f"{form_class.__qualname__}.{name}"
            assert not field.localize
            assert 'value="75.50"' in field.widget.render(name, Decimal("75.50"))


def test_an_amount_is_read_with_a_comma_or_a_dot() -> None:
    field = DecimalField(decimal_places=2)
    assert field.clean("75,5") == Decimal("75.5")
    assert field.clean("75.50") == Decimal("75.50")
    with pytest.raises(forms.ValidationError):
        field.clean("1.234,50")  # thousands separators are not guessed


def test_date_input_is_iso_whatever_the_locale() -> None:
    from django.utils import translation

    with translation.override("de"):
        assert 'value="2026-12-06"' in DateInput().render("d", DAY)
        assert 'type="date"' in DateInput().render("d", DAY)


def test_prompt_is_german() -> None:
    assert CHOOSE == "Bitte wählen"
