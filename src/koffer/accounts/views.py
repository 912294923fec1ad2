"""Sign-in, second factor, tenant switch and the tenant admin's user pages."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts import lockout, selectors, services
from koffer.accounts.access import grantable_roles, may_manage_account, require_perm
from koffer.accounts.forms import (
    LoginForm,
    MachineAccountForm,
    OtpForm,
    OwnPasswordForm,
    PasswordResetForm,
    RoleGrantForm,
    TokenCreateForm,
    UnitCreateForm,
    UploadLimitsForm,
    UserCreateForm,
)
from koffer.accounts.http import KofferRequest, TenantRequest
from koffer.accounts.middleware import switch_tenant as activate_tenant
from koffer.accounts.models import User
from koffer.accounts.roles import PERM_LABELS, ROLES, Perm
from koffer.audit import services as audit
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Organisationseinheit

ADDRESS_THROTTLED_MESSAGE = (
    "Zu viele Anmeldeversuche von dieser Adresse. Anmeldungen von hier sind für {minutes} "
    "Minuten gesperrt. Bitte warten Sie oder wenden Sie sich an Ihre Administration."
)


def _safe_next(request: KofferRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("shell:start")


def login_view(request: KofferRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("shell:start")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        refused = getattr(request, "koffer_login_refused", None)
        if refused is not None:
            return locked_out(request, refused)
        if user is None:
            error = "Benutzername oder Passwort ist falsch."
        else:
            login(request, user)
            return HttpResponseRedirect(_safe_next(request))
    status = 400 if error else 200
    notice = ""
    if request.GET.get("abgelaufen"):
        minutes = settings.KOFFER_IDLE_TIMEOUT_SECONDS // 60
        notice = f"Sie wurden nach {minutes} Minuten ohne Aktivität abgemeldet. Bitte melden Sie sich erneut an."
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "error": error,
            "notice": notice,
            "next": request.GET.get("next", ""),
            "page_title": "Anmelden",
        },
        status=status,
    )


def locked_out(request: HttpRequest, refused: lockout.Refusal) -> HttpResponse:
    if refused == lockout.Refusal.ACCOUNT:
        seconds, message = settings.KOFFER_LOGIN_LOCKOUT_SECONDS, lockout.LOCKED_MESSAGE
    else:
        seconds, message = settings.KOFFER_LOGIN_ADDRESS_WINDOW_SECONDS, ADDRESS_THROTTLED_MESSAGE
    response = render(
        request,
        "accounts/login.html",
        {
            "form": LoginForm(),
            "error": message.format(minutes=max(1, seconds // 60)),
            "page_title": "Anmelden",
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@require_POST
def logout_view(request: KofferRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "Sie sind abgemeldet.")
    return redirect("accounts:login")


def otp_view(request: KofferRequest) -> HttpResponse:
    """Set up (first time) or enter the TOTP second factor."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user: User = request.user
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            tenant = getattr(request, "tenant", None)
            if tenant is not None:
                audit.record(
                    actor=user,
                    tenant_id=tenant.pk,
                    action="accounts.otp.verified",
                    obj=user,
                    subject=user,
                )
            return HttpResponseRedirect(_safe_next(request))
        form.add_error("token", "Der Code stimmt nicht. Bitte geben Sie den aktuellen Code ein.")
    context: dict[str, Any] = {
        "form": form,
        "setup": not device.confirmed,
        "page_title": "Zweiter Faktor",
    }
    if not device.confirmed:
        qr = segno.make(device.config_url, error="m")
        context["qr_data_uri"] = qr.svg_data_uri(scale=5)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/otp.html", context)


def password_change(request: KofferRequest) -> HttpResponse:
    """The signed-in person chooses their own password; required after a first password or
    an admin's reset (``TenantMiddleware`` sends them here until it is done)."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user: User = request.user
    form = OwnPasswordForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(
                actor=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                keep_session_key=request.session.session_key,
                client_ip=lockout.client_ip(request),
            )
        except services.AccountError as exc:
            if exc.code == "locked":
                form.add_error(None, exc.message)
                status = 429
            else:
                field = "current_password" if exc.code == "password_wrong" else "new_password"
                form.add_error(field, exc.message)
        else:
            update_session_auth_hash(request, user)  # this session stays signed in
            messages.success(request, "Ihr Passwort wurde geändert.")
            return HttpResponseRedirect(_safe_next(request))
    response = render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "required": user.must_change_password,
            "next": request.GET.get("next", ""),
            "page_title": "Passwort ändern",
        },
        status=400 if form.errors and status == 200 else status,
    )
    if status == 429:
        response["Retry-After"] = str(settings.KOFFER_LOGIN_LOCKOUT_SECONDS)
    return response


@require_POST
def switch_tenant(request: KofferRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    try:
        tenant_id = uuid.UUID(request.POST.get("tenant", ""))
    except ValueError as exc:
        raise Http404 from exc
    if not activate_tenant(request, tenant_id):
        raise Http404
    messages.success(request, "Mandant gewechselt.")
    return redirect("shell:start")


# --- Tenant administration ------------------------------------------------------------------


def _unit_choices(request: TenantRequest) -> list[tuple[str, str]]:
    return [
        (str(u.pk), ("– " * u.depth) + u.name) for u in selectors.units_for_admin(request.tenant)
    ]


def _role_choices(request: TenantRequest, *, machine: bool) -> list[tuple[str, str]]:
    roles = grantable_roles(request.access, tenant_kind=request.tenant.kind, machine=machine)
    return [(r.code, r.label) for r in roles]


def _crumbs(*items: tuple[str, str | None]) -> list[dict[str, str | None]]:
    crumbs: list[dict[str, str | None]] = [{"label": "Start", "url": reverse("shell:start")}]
    crumbs.extend({"label": label, "url": url} for label, url in items)
    return crumbs


@require_perm(Perm.ACCOUNTS_MANAGE)
def user_list(request: TenantRequest) -> HttpResponse:
    users = selectors.users_of(request.tenant)
    return render(
        request,
        "accounts/user_list.html",
        {"users": users, "page_title": "Benutzer", "breadcrumbs": _crumbs(("Benutzer", None))},
    )


@require_perm(Perm.ACCOUNTS_MANAGE)
def user_create(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = UserCreateForm(
        request.POST or None,
        units=_unit_choices(request),
        roles=_role_choices(request, machine=False),
    )
    if request.method == "POST" and form.is_valid():
        unit = selectors.unit_in(tenant, form.cleaned_data["unit"])
        try:
            user = services.create_user(
                actor=request.user,
                tenant=tenant,
                username=form.cleaned_data["username"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"] or None,
                password=form.cleaned_data["password"],
                unit=unit,
                role=form.cleaned_data["role"],
            )
        except services.AccountError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Benutzer {user.username} wurde angelegt.")
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "page_title": "Benutzer anlegen",
            "breadcrumbs": _crumbs(
                ("Benutzer", reverse("accounts:users")), ("Benutzer anlegen", None)
            ),
        },
        status=400 if form.errors else 200,
    )


def _member_or_404(request: TenantRequest, user_id: uuid.UUID) -> User:
    user = selectors.member_of(request.tenant, user_id)
    if user is None:
        raise Http404
    return user


# Refusals that mean "not you": answered 403; the others are a wrong request (400).
_REFUSED_CODES = {
    "forbidden",
    "role_forbidden",
    "role_not_for_kind",
    "account_forbidden",
    "own_roles",
    "self_deactivate",
    "own_password_reset",
    "own_second_factor_reset",
}


@require_perm(Perm.ACCOUNTS_MANAGE)
def user_detail(request: TenantRequest, user_id: uuid.UUID) -> HttpResponse:
    """A member's page: roles, sessions, password, second factor, active or not; each
    change is one POST form (``action``) answered by one service."""
    person = _member_or_404(request, user_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    reset_form = PasswordResetForm(request.POST if action == "reset" else None)
    grant_form = RoleGrantForm(
        request.POST if action == "grant" else None,
        units=_unit_choices(request),
        roles=_role_choices(request, machine=person.is_machine),
    )
    error, status = "", 200
    if action:
        try:
            done = _user_action(request, person, action, reset_form, grant_form)
        except services.AccountError as exc:
            error = exc.message
            status = 403 if exc.code in _REFUSED_CODES else 400
        else:
            if done:
                messages.success(request, done)
                return redirect("accounts:user_detail", user_id=person.pk)
            status = 400
    tenant = request.tenant
    person.refresh_from_db()
    is_self = person.pk == request.user.pk
    # Any admin of the Mandant may see who a member is and which roles they hold (and
    # grant roles in units they administer); the actions on the whole account and the
    # session list (addresses and browsers are personal data) only one who may manage
    # the whole account, as the services demand.
    manages = may_manage_account(request.user.pk, person.pk, machine=person.is_machine)
    context = {
        "person": person,
        "is_self": is_self,
        "manages_account": manages,
        "memberships": selectors.memberships_of(tenant, person),
        "sessions": selectors.sessions_of(person) if manages or is_self else None,
        "devices": selectors.second_factor_devices(person),
        "tokens": selectors.tokens_of(tenant, person) if person.is_machine else [],
        "reset_form": reset_form,
        "grant_form": grant_form,
        "error": error,
        "page_title": str(person),
        "breadcrumbs": _crumbs(("Benutzer", reverse("accounts:users")), (str(person), None)),
    }
    return render(request, "accounts/user_detail.html", context, status=status)


def _user_action(
    request: TenantRequest,
    person: User,
    action: str,
    reset_form: PasswordResetForm,
    grant_form: RoleGrantForm,
) -> str:
    """Run one action of the user page; returns the confirmation, or "" when a form is
    invalid (its errors are shown). Raises AccountError for a refusal."""
    actor, tenant = request.user, request.tenant
    if action == "reset":
        if not reset_form.is_valid():
            return ""
        services.reset_password(
            actor=actor,
            tenant=tenant,
            user=person,
            new_password=reset_form.cleaned_data["password"],
        )
        return (
            "Das Passwort wurde neu gesetzt; alle Sitzungen sind beendet. "
            "Die Person muss es bei der nächsten Anmeldung ändern."
        )
    if action == "revoke":
        count = services.revoke_sessions(actor=actor, tenant=tenant, user=person)
        return f"{count} Sitzung(en) von {person} beendet."
    if action == "grant":
        if not grant_form.is_valid():
            return ""
        unit = selectors.unit_in(tenant, grant_form.cleaned_data["unit"])
        membership = services.grant_role(
            actor=actor, tenant=tenant, user=person, unit=unit, role=grant_form.cleaned_data["role"]
        )
        return f"Rolle „{membership.get_role_display()}“ in {unit.name} vergeben."
    if action == "revoke_role":
        held = selectors.membership_in(tenant, person, request.POST.get("membership", ""))
        if held is None:
            raise Http404
        services.revoke_role(actor=actor, tenant=tenant, membership=held)
        return f"Rolle „{held.get_role_display()}“ in {held.unit.name} entzogen."
    if action in ("deactivate", "reactivate"):
        active = action == "reactivate"
        services.set_active(actor=actor, tenant=tenant, user=person, active=active)
        if active:
            return f"Das Konto von {person} ist wieder aktiv."
        return f"Das Konto von {person} ist deaktiviert; alle Sitzungen sind beendet."
    if action == "otp_reset":
        count = services.reset_second_factor(actor=actor, tenant=tenant, user=person)
        return (
            f"Zweiter Faktor zurückgesetzt ({count} Gerät(e) entfernt). {person} richtet ihn "
            "bei der nächsten Anmeldung neu ein."
        )
    raise services.AccountError("action_unknown", "Diese Aktion gibt es nicht.")


@require_perm(Perm.ACCOUNTS_MANAGE)
def roles(request: TenantRequest) -> HttpResponse:
    rows = [
        {"role": r, "permissions": sorted(PERM_LABELS[p] for p in r.permissions)}
        for r in ROLES.values()
    ]
    return render(
        request,
        "accounts/roles.html",
        {
            "rows": rows,
            "page_title": "Rollen und Rechte",
            "breadcrumbs": _crumbs(("Rollen und Rechte", None)),
        },
    )


@require_perm(Perm.TOKENS_MANAGE)
def machine_create(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = MachineAccountForm(
        request.POST or None,
        units=_unit_choices(request),
        roles=_role_choices(request, machine=True),
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(
                actor=request.user,
                tenant=tenant,
                username=form.cleaned_data["username"],
                first_name="",
                last_name="",
                email=None,
                password=None,
                unit=selectors.unit_in(tenant, form.cleaned_data["unit"]),
                role=form.cleaned_data["role"],
                is_machine=True,
            )
        except services.AccountError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Maschinenkonto angelegt. Erzeugen Sie jetzt einen API-Schlüssel."
            )
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "page_title": "Maschinenkonto anlegen",
            "breadcrumbs": _crumbs(
                ("Benutzer", reverse("accounts:users")), ("Maschinenkonto anlegen", None)
            ),
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.TOKENS_MANAGE)
def token_create(request: TenantRequest, user_id: uuid.UUID) -> HttpResponse:
    tenant = request.tenant
    person = _member_or_404(request, user_id)
    if not person.is_machine:
        raise Http404
    allowed, reach = selectors.token_scope(tenant, person)
    form = TokenCreateForm(
        request.POST or None,
        permissions=allowed,
        units=[(str(u.pk), ("– " * u.depth) + u.name) for u in reach],
    )
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.create_api_token(
                actor=request.user,
                tenant=tenant,
                user=person,
                name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"],
                units=selectors.units_by_ids(tenant, form.cleaned_data["units"]),
                valid_days=form.cleaned_data["valid_days"],
            )
        except services.AccountError as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "accounts/token_created.html",
                {
                    "token": token,
                    "secret": secret,
                    "person": person,
                    "page_title": "API-Schlüssel erzeugt",
                },
            )
    return render(
        request,
        "accounts/user_form.html",
        {
            "form": form,
            "page_title": "API-Schlüssel erzeugen",
            "breadcrumbs": _crumbs(
                ("Benutzer", reverse("accounts:users")),
                (str(person), reverse("accounts:user_detail", args=[person.pk])),
                ("API-Schlüssel erzeugen", None),
            ),
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.TOKENS_MANAGE)
@require_POST
def token_revoke(request: TenantRequest, token_id: uuid.UUID) -> HttpResponse:
    token = selectors.token_in(request.tenant, token_id)
    if token is None:
        raise Http404
    if token.revoked_at is None:
        services.revoke_api_token(
            actor=request.user, token=token, reason=request.POST.get("reason", "")
        )
        messages.success(request, "Der API-Schlüssel wurde widerrufen.")
    return redirect("accounts:user_detail", user_id=token.user_id)


@require_perm(Perm.TENANCY_MANAGE)
def organisation(request: TenantRequest) -> HttpResponse:
    """The Mandant's unit tree, a form to add a unit below any existing one, and the
    Mandant's upload limits."""
    tenant = request.tenant
    form = UnitCreateForm(
        request.POST or None,
        units=_unit_choices(request),
        kinds=list(Organisationseinheit.Kind.choices),
    )
    if request.method == "POST" and form.is_valid():
        parent = selectors.unit_in(tenant, form.cleaned_data["parent"])
        try:
            unit = tenancy.create_unit(
                actor=request.user,
                tenant=tenant,
                parent=parent,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
            )
        except tenancy.UnitNameTaken as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"„{unit.name}“ wurde angelegt.")
            return redirect("accounts:organisation")
    return _organisation_page(request, form=form, limits=_limits_form(request, None))


def _limits_form(request: TenantRequest, data: Any) -> UploadLimitsForm:
    tenant = request.tenant
    return UploadLimitsForm(
        data,
        initial={
            "max_pages_per_file": tenant.max_pages_per_file,
            "max_image_frames": tenant.max_image_frames,
        },
        default_pages=settings.KOFFER_MAX_PAGES_PER_FILE,
        default_frames=settings.KOFFER_MAX_IMAGE_FRAMES,
    )


@require_POST
@require_perm(Perm.TENANCY_MANAGE)
def organisation_limits(request: TenantRequest) -> HttpResponse:
    """Change the Mandant's page and frame limits for uploads."""
    limits = _limits_form(request, request.POST)
    if limits.is_valid():
        try:
            services.set_upload_limits(
                actor=request.user,
                tenant=request.tenant,
                max_pages_per_file=limits.cleaned_data["max_pages_per_file"],
                max_image_frames=limits.cleaned_data["max_image_frames"],
            )
        except services.AccountError as exc:
            limits.add_error(None, exc.message)
        else:
            messages.success(request, "Die Grenzen für hochgeladene Dateien wurden gespeichert.")
            return redirect("accounts:organisation")
    form = UnitCreateForm(
        units=_unit_choices(request), kinds=list(Organisationseinheit.Kind.choices)
    )
    return _organisation_page(request, form=form, limits=limits)


def _organisation_page(
    request: TenantRequest, *, form: UnitCreateForm, limits: UploadLimitsForm
) -> HttpResponse:
    return render(
        request,
        "accounts/organisation.html",
        {
            "units": selectors.units_with_member_counts(request.tenant),
            "form": form,
            "limits": limits,
            "page_title": "Organisation",
            "breadcrumbs": _crumbs(("Organisation", None)),
        },
        status=400 if form.errors or limits.errors else 200,
    )
