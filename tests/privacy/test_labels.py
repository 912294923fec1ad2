from __future__ import annotations

from koffer.privacy.labels import action_label, changes_text, type_label


def test_changes_text_for_both_shapes() -> None:
    assert changes_text({"status": {"old": "offen", "new": "zu"}}) == "Status: offen → zu"
    assert changes_text({"a": None, "b": True, "c": [1, 2]}) == "a: –; b: ja; c: 1, 2"
    assert changes_text({"nested": {"x": 1}}) == 'nested: {"x": 1}'
    assert changes_text({}) == "" and changes_text(None) == ""


def test_changes_text_shortens_only_when_asked() -> None:
    long = "x" * 200
    assert changes_text({"f": long}) == f"f: {long}"
    short = changes_text({"f": {"old": long, "new": "y"}}, limit=10)
    assert short == "f: xxxxxxxxx… → y"


def test_labels_fall_back_to_codes() -> None:
    assert action_label("read") == "Gelesen"
    assert action_label("accounts.user.delete") == "Benutzer gelöscht"
    assert action_label("nie.gesehen") == "nie.gesehen"
    assert type_label("accounts.user") == "Benutzer" and type_label("akte") == "akte"
