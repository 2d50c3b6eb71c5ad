"""Every URL needs a signed-in user unless it is on the explicit public list.

The resolver is walked at run time, so the pages and endpoints other apps add are
covered as they appear. Each URL is requested anonymously with dummy path values and
must answer 401, a redirect to the sign-in page, or 404 — never content.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

# Anonymous visitors may open these (regexes on the full path).
PUBLIC = [
    r"^/accounts/login/$",  # sign-in
    r"^/accounts/signup/$",  # says that sign-up is closed
    r"^/accounts/password/reset/",  # password reset request, done page, key from the email
    r"^/accounts/confirm-email/",  # email confirmation links
    r"^/accounts/login/code/",  # allauth's sign-in by code (off, answers 404)
    r"^/accounts/2fa/authenticate/$",  # second step of sign-in (needs a pending sign-in)
    r"^/accounts/logout/$",
    r"^/accounts/inactive/$",
    r"^/accounts/reauthenticate/$",  # redirects anonymous visitors to sign-in
    r"^/invitations/[^/]+/$",  # the invitation link
    r"^/api/v1/invitations/accept/$",
    r"^/api/v1/invitations/totp/$",  # the invited clinician's TOTP secret, to whoever holds the token
    r"^/api/schema/$",
    r"^/api/docs/$",
    r"^/healthz$",
    r"^/readyz$",  # readiness of the alert pipeline: no patient data (tests/portal/test_readiness.py)
    r"^/fhir/R4/metadata$",  # the FHIR CapabilityStatement: what the server offers, no data
    r"^/static/",
    r"^/admin/logout/$",
    r"^/_allauth/(app|browser)/v1/(auth|config|tokens)",  # allauth headless sign-in endpoints
]

LOGIN_PREFIXES = ("/accounts/login/", "/admin/login/")


def dummy(name: str, converter) -> str:
    kind = type(converter).__name__
    if kind == "IntConverter":
        return "1"
    if kind == "UUIDConverter":
        return str(uuid.UUID(int=1))
    return "dummy-value"


def route_to_path(route: str, converters: dict) -> str:
    def replace(match: re.Match) -> str:
        name = match.group("name")
        return dummy(name, converters.get(name))

    return re.sub(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>", replace, route)


def regex_to_path(regex: str) -> str:
    path = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "dummy-value", path)
    path = re.sub(r"\([^)]*\)", "", path)
    path = path.replace("\\", "").replace("?", "")
    return path


def collect(patterns, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            part = route_to_path(str(pattern._route), pattern.converters)
        elif isinstance(pattern, RegexPattern):
            part = regex_to_path(pattern._regex)
        else:  # LocalePrefixPattern and friends
            part = str(pattern)
        if isinstance(entry, URLResolver):
            found += collect(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            found.append(("/" + prefix + part, entry.lookup_str))
    return found


ALL_URLS = sorted(set(collect(get_resolver().url_patterns)))


def is_public(path: str) -> bool:
    return any(re.search(rule, path) for rule in PUBLIC)


def test_the_walk_finds_the_known_urls():
    paths = {path for path, _ in ALL_URLS}
    for expected in ["/", "/settings/", "/api/v1/me", "/admin/", "/accounts/login/", "/invitations/dummy-value/"]:
        assert expected in paths
    assert len(paths) > 40


def refused(path: str, response) -> bool:
    if response.status_code in (401, 404):
        return True
    if path.startswith("/_allauth/") and response.status_code == 409:
        # allauth headless refuses an account action without a session as a conflict.
        return response.json() == {"status": 409}
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        return location.startswith(LOGIN_PREFIXES)
    return False


@pytest.mark.parametrize(("path", "view"), [item for item in ALL_URLS if not is_public(item[0])], ids=lambda v: v)
def test_private_url_refuses_anonymous_visitors(anon_client, path, view):
    for method in ("get", "post"):
        response = getattr(anon_client, method)(path)
        if response.status_code == 405:
            continue
        assert refused(path, response), f"{method.upper()} {path} ({view}) answered {response.status_code} anonymously"


def test_public_list_has_no_stale_entries():
    paths = [path for path, _ in ALL_URLS]
    for rule in PUBLIC:
        if rule in (r"^/static/",):
            continue
        assert any(re.search(rule, path) for path in paths), f"public rule {rule} matches no URL"
