from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from koffer.accounts.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with the user name or the e-mail address; machine accounts cannot sign in."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        ident = username.strip()
        user = User.objects.filter(Q(username__iexact=ident) | Q(email__iexact=ident)).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if (
            user.is_machine
            or not user.check_password(password)
            or not self.user_can_authenticate(user)
        ):
            return None
        return user
