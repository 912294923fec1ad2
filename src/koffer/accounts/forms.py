from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password

from koffer.accounts.roles import PERM_LABELS
from koffer.accounts.services import MAX_IMAGE_FRAMES_LIMIT, MAX_PAGES_PER_FILE_LIMIT
from koffer.inputs import CheckboxGroups


def _input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "kern-form-input__input", **attrs})


def _password(autocomplete: str) -> forms.PasswordInput:
    """``current-password`` or ``new-password``, so password managers fill the right one."""
    return forms.PasswordInput(
        attrs={"class": "kern-form-input__input", "autocomplete": autocomplete}
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label="Benutzername oder E-Mail",
        max_length=254,
        widget=forms.TextInput(
            # No autofocus: it would skip the skip link, the heading and any notice above
            # the form (such as "signed out after 30 minutes") for screen reader users.
            attrs={"autocomplete": "username", "class": "kern-form-input__input"}
        ),
    )
    password = forms.CharField(
        label="Passwort",
        strip=False,
        widget=_password("current-password"),
    )


class OtpForm(forms.Form):
    token = forms.CharField(
        label="Sechsstelliger Code aus Ihrer Authenticator-App",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "kern-form-input__input",
                "pattern": "[0-9]{6}",
            }
        ),
    )


class _UnitAndRoleForm(forms.Form):
    """A form with a ``unit`` and a ``role`` choice; the view offers what the actor may choose."""

    def __init__(
        self,
        *args: Any,
        units: list[tuple[str, str]],
        roles: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["role"].choices = roles  # type: ignore[attr-defined]


class UserCreateForm(_UnitAndRoleForm):
    username = forms.CharField(
        label="Benutzername", max_length=150, widget=_input(autocomplete="off")
    )
    first_name = forms.CharField(label="Vorname", max_length=150, widget=_input())
    last_name = forms.CharField(label="Nachname", max_length=150, widget=_input())
    email = forms.EmailField(
        label="E-Mail",
        required=False,
        widget=forms.EmailInput(attrs={"class": "kern-form-input__input"}),
    )
    unit = forms.ChoiceField(
        label="Organisationseinheit",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    role = forms.ChoiceField(
        label="Rolle",
        help_text="Angeboten werden die Rollen, die Sie in diesem Mandanten vergeben dürfen.",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    password = forms.CharField(
        label="Erstes Passwort",
        help_text="Mindestens 10 Zeichen. Die Person ändert es bei der ersten Anmeldung.",
        strip=False,
        widget=_password("new-password"),
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label="Neues Passwort",
        help_text="Mindestens 10 Zeichen. Alle Sitzungen der Person werden beendet.",
        strip=False,
        widget=_password("new-password"),
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class OwnPasswordForm(forms.Form):
    current_password = forms.CharField(
        label="Bisheriges Passwort",
        strip=False,
        widget=_password("current-password"),
    )
    new_password = forms.CharField(
        label="Neues Passwort",
        help_text="Mindestens 10 Zeichen, nicht nur Ziffern und nicht Ihr Name.",
        strip=False,
        widget=_password("new-password"),
    )
    repeat_password = forms.CharField(
        label="Neues Passwort wiederholen",
        strip=False,
        widget=_password("new-password"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, repeat = data.get("new_password"), data.get("repeat_password")
        if new and repeat is not None and new != repeat:
            self.add_error("repeat_password", "Die beiden neuen Passwörter stimmen nicht überein.")
        return data


class MachineAccountForm(_UnitAndRoleForm):
    username = forms.CharField(label="Name des Maschinenkontos", max_length=150, widget=_input())
    unit = forms.ChoiceField(
        label="Organisationseinheit",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    role = forms.ChoiceField(
        label="Rolle",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )


class RoleGrantForm(_UnitAndRoleForm):
    """Give a member one more role; the roles offered are those the admin may grant."""

    role = forms.ChoiceField(
        label="Rolle",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    unit = forms.ChoiceField(
        label="In Organisationseinheit (und darunter)",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )


class TokenCreateForm(forms.Form):
    """Offers only what the machine account's roles allow; the service checks again."""

    name = forms.CharField(label="Bezeichnung", max_length=100, widget=_input())
    permissions = forms.MultipleChoiceField(
        label="Berechtigungen",
        widget=CheckboxGroups,
    )
    units = forms.MultipleChoiceField(
        label="Organisationseinheiten",
        help_text="Der Schlüssel wirkt in diesen Einheiten und allen darunter.",
        widget=CheckboxGroups,
    )
    valid_days = forms.IntegerField(
        label="Gültig für Tage",
        min_value=1,
        max_value=730,
        initial=365,
        widget=forms.NumberInput(attrs={"class": "kern-form-input__input"}),
    )

    def __init__(
        self,
        *args: Any,
        permissions: frozenset[str],
        units: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = sorted(  # type: ignore[attr-defined]
            ((p, PERM_LABELS[p]) for p in permissions), key=lambda item: str(item[1])
        )
        self.fields["units"].choices = units  # type: ignore[attr-defined]


class UnitCreateForm(forms.Form):
    parent = forms.ChoiceField(
        label="Übergeordnete Einheit",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    name = forms.CharField(label="Name", max_length=200, widget=_input())
    kind = forms.ChoiceField(
        label="Art",
        choices=[],
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], kinds: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = units  # type: ignore[attr-defined]
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]


class UploadLimitsForm(forms.Form):
    """The Mandant's upload limits; empty means the installation's default."""

    max_pages_per_file = forms.IntegerField(
        label="Höchstzahl Seiten je PDF",
        required=False,
        min_value=1,
        max_value=MAX_PAGES_PER_FILE_LIMIT,
        widget=forms.NumberInput(attrs={"class": "kern-form-input__input"}),
    )
    max_image_frames = forms.IntegerField(
        label="Höchstzahl Einzelbilder je TIFF",
        required=False,
        min_value=1,
        max_value=MAX_IMAGE_FRAMES_LIMIT,
        widget=forms.NumberInput(attrs={"class": "kern-form-input__input"}),
    )

    def __init__(self, *args: Any, default_pages: int, default_frames: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "max_pages_per_file"
        ].help_text = (
            f"Leer lassen für die Vorgabe dieser Installation ({default_pages:,} Seiten).".replace(
                ",", "."
            )
        )
        self.fields[
            "max_image_frames"
        ].help_text = (
            f"Leer lassen für die Vorgabe dieser Installation ({default_frames:,} Bilder).".replace(
                ",", "."
            )
        )
