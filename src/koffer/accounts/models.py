"""Users, their memberships, machine-account tokens and tracked sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from uuid6 import uuid7

from koffer.accounts.roles import ROLE_CHOICES
from koffer.tenancy.scoping import TenantOwned


class User(AbstractUser):
    """A person or a machine account. May belong to several Mandanten."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField("E-Mail", unique=True, null=True, blank=True)  # type: ignore[assignment]
    is_machine = models.BooleanField("Maschinenkonto", default=False)
    # Set when someone else chose the password (a new account, an admin's reset): the
    # person must choose their own before doing anything else (middleware).
    must_change_password = models.BooleanField("Muss Passwort ändern", default=False)

    class Meta:
        verbose_name = "Benutzer"
        verbose_name_plural = "Benutzer"
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username


class Membership(TenantOwned):
    """One role in one Organisationseinheit (and below) of one Mandant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        "tenancy.Organisationseinheit", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=40, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Mitgliedschaft"
        verbose_name_plural = "Mitgliedschaften"
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "tenant"], name="membership_user_tenant")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} in {self.unit}"


class ApiToken(TenantOwned):
    """A machine account's API key: shown once, stored as SHA-256, scoped to one Mandant,
    to named permissions and to named Organisationseinheiten."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    permissions = models.JSONField(default=list)
    # The Organisationseinheiten (and everything below them) the token acts in; its
    # permissions hold there and nowhere else (see Access.for_token).
    units = models.ManyToManyField(
        "tenancy.Organisationseinheit",
        related_name="api_tokens",
        blank=True,
        verbose_name="Organisationseinheiten",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API-Schlüssel"
        verbose_name_plural = "API-Schlüssel"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class UserSession(models.Model):
    """Which session belongs to whom, so that an admin can revoke a user's sessions."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    client_ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Sitzung von {self.user_id} seit {self.created_at:%d.%m.%Y %H:%M}"


class LoginFailure(models.Model):
    """One failed sign-in, counted against the account it names and the client address.

    ``key`` is ``user:<id>`` for a name or e-mail address that resolves to an account (so
    every spelling of it counts against the same account) and ``name:<sha256>`` of the
    normalised text otherwise (so an unknown name locks like a known one, and a password
    typed into the name field is not stored)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    key = models.CharField(max_length=80)
    client_ip = models.CharField(max_length=45, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="loginfailure_key_at"),
            models.Index(fields=["client_ip", "at"], name="loginfailure_ip_at"),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self) -> str:
        return f"Fehlversuch {self.at:%d.%m.%Y %H:%M}"
