"""The page frame's shortcuts (make bench ONLY=core_start_page) give what the slow way
gave: the CSP header, the navigation, the frame's links and static URLs."""

from __future__ import annotations

from csp.constants import NONCE, SELF
from csp.utils import build_policy
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse, set_script_prefix

from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.shell import navigation
from koffer.shell.middleware import CSPMiddleware
from tests.conftest import signed_in


def test_csp_header_is_django_csps(admin_client: Client) -> None:
    response = admin_client.get("/")
    assert response["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in response


def test_csp_follows_changed_settings(admin_client: Client) -> None:
    changed = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "https:"]}}
    with override_settings(
        CONTENT_SECURITY_POLICY=changed, CONTENT_SECURITY_POLICY_REPORT_ONLY=changed
    ):
        response = admin_client.get("/")
        assert _directives(response["Content-Security-Policy"]) == {
            "default-src 'self'",
            "img-src 'self' https:",
        }
        assert (
            response["Content-Security-Policy-Report-Only"] == response["Content-Security-Policy"]
        )
    assert admin_client.get("/")["Content-Security-Policy"] == build_policy()


def _directives(policy: str) -> set[str]:
    return set(policy.split("; "))  # django-csp's order of directives varies


def _through_csp(response: HttpResponse, request: HttpRequest | None = None) -> HttpResponse:
    request = request or RequestFactory().get("/")
    middleware = CSPMiddleware(lambda r: response)
    return middleware(request)  # type: ignore[return-value]


def test_csp_view_changes_and_nonce_go_through_django_csp() -> None:
    updated = HttpResponse()
    updated._csp_update = {"img-src": ["https://karten.example"]}  # type: ignore[attr-defined]
    assert "https://karten.example" in _through_csp(updated)["Content-Security-Policy"]

    exempt = HttpResponse()
    exempt._csp_exempt = True  # type: ignore[attr-defined]
    assert "Content-Security-Policy" not in _through_csp(exempt)

    request = RequestFactory().get("/")
    nonce_response = HttpResponse()

    def view(r: HttpRequest) -> HttpResponse:
        str(r.csp_nonce)  # type: ignore[attr-defined]
        return nonce_response

    with_nonce = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=with_nonce):
        CSPMiddleware(view)(request)
    nonce = request._csp_nonce  # type: ignore[attr-defined]
    assert _directives(nonce_response["Content-Security-Policy"]) == {
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
    }


def test_navigation_follows_registrations(admin_client: Client) -> None:
    entry = navigation.NavEntry(
        key="test_frame",
        label="Testmodul",
        url_name="shell:accessibility",
        description="x",
        permission=None,
        order=5,
    )
    assert "Testmodul" not in admin_client.get("/").content.decode()
    navigation.register(entry)
    try:
        assert "Testmodul" in admin_client.get("/").content.decode()
    finally:
        del navigation._entries[entry.key]
        navigation._links.cache_clear()
    assert "Testmodul" not in admin_client.get("/").content.decode()


def test_frame_links_follow_the_script_prefix(caseworker: User) -> None:
    client = signed_in(caseworker)
    plain = client.get("/").content.decode()
    assert f'href="{reverse("shell:accessibility")}"' in plain
    assert f'action="{reverse("accounts:logout")}"' in plain
    assert f'href="{static("koffer/koffer.css")}"' in plain
    set_script_prefix("/koffer/")  # what WSGIHandler does for SCRIPT_NAME=/koffer
    try:
        prefixed = client.get("/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/koffer/barrierefreiheit/"' in prefixed
    assert 'action="/koffer/abmelden/"' in prefixed
    assert 'href="/koffer/akten/"' in prefixed and 'action="/koffer/suche/"' in prefixed
    assert 'href="/akten/"' not in prefixed


def test_navigation_marks_the_page_it_links_to_only(caseworker: User) -> None:
    """The navigation is rendered once per set of entries and current page (frame_part):
    the mark follows the page, also from the cache."""
    client = signed_in(caseworker)
    start = client.get("/").content.decode()
    assert f'href="{reverse("shell:start")}" aria-current="page">Start' in start
    akten = reverse("records:akten")
    for _ in range(2):  # rendered, then from the cache
        page = client.get(akten).content.decode()
        assert f'href="{akten}" aria-current="page">' in page
        assert 'aria-current="page">Start' not in page
    other = client.get(reverse("shell:accessibility")).content.decode()
    assert 'class="koffer-nav__link" href' in other
    assert 'aria-current="page"' not in other.split('aria-label="Module"')[1].split("</nav>")[0]


def test_an_entry_for_several_permissions_is_shown_once_to_who_holds_any() -> None:
    def versand(permissions: set[str]) -> list[str]:
        links = navigation.links_for(frozenset(permissions), "jobcenter")
        return [link.key for link in links if link.label == "Postausgang: Versand"]

    assert versand({Perm.OUTBOX_SEND, Perm.INBOX_PROCESS}) == ["outbox_versand"]
    assert versand({Perm.INBOX_PROCESS}) == ["outbox_versand"]
    assert versand({Perm.OUTBOX_SEND}) == ["outbox_versand"]
    assert versand({Perm.RECORDS_VIEW}) == []
