"""Security headers, the Content-Security-Policy, and no inline script anywhere.

- Every page and API response: a strict CSP (scripts from the project only, no
  'unsafe-inline' or 'unsafe-eval' for scripts, nothing framed, no plugins),
  X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy, and
  ``Cache-Control: no-store`` (pages and API responses may carry health data).
- HSTS over HTTPS (behind the proxy's X-Forwarded-Proto) with production settings,
  and plain HTTP redirected to HTTPS: checked in a subprocess, as deployed.
- No template that can be rendered, the Django admin's and allauth's included, has
  an inline script, an inline event handler or a ``javascript:`` URL; and no page
  the permission matrix renders has one either (the API docs page included).

Sessions' idle and absolute timeouts and TOTP replay are the foundation's tests
(tests/portal/test_sessions.py, tests/portal/test_mfa.py), ``check --deploy`` too
(tests/portal/test_deployment.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.portal.test_deployment import production_env, python
from tests.security.matrix import MATRIX, PERSONAS
from tests.security.runner import perform

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# A script element whose type is data, not code (allauth's and json_script's JSON).
DATA_TYPES = ("application/json", "application/ld+json", "text/template")
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def inline_scripts(html: str) -> list[str]:
    found = []
    for attributes, body in SCRIPT.findall(html):
        kind = re.search(r"""type\s*=\s*["']?([^"'\s>]+)""", attributes)
        if kind and kind.group(1).lower() in DATA_TYPES:
            continue
        # Template tags and comments are not script; what is left must be nothing.
        code = re.sub(r"\{%.*?%\}|\{#.*?#\}", "", body, flags=re.S).strip()
        if code:
            found.append(code[:80])
    return found


def script_problems(html: str) -> list[str]:
    problems = [f"inline script: {code!r}" for code in inline_scripts(html)]
    problems += [f"event handler: {match[:80]!r}" for match in HANDLER.findall(html)]
    problems += [f"javascript: URL: {match!r}" for match in JS_URL.findall(html)]
    return problems


def csp_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# --- Headers on pages and API responses --------------------------------------------------------

SAMPLES = [
    ("anonymous", ("GET", "accounts/login/")),
    ("patient_a", ("GET", "")),
    ("patient_a", ("GET", "history/")),
    ("patient_a", ("GET", "api/v1/symptoms/", "own")),
    ("patient_a", ("GET", "labs/reports/<int:pk>/file/")),
    ("care_team", ("GET", "patients/<int:patient_id>/")),
    ("care_team", ("GET", "api/v1/patients/<int:patient_id>/")),
    ("care_team", ("GET", "api/v1/lab-reports/<int:pk>/file/")),
    ("care_team", ("GET", "messages/attachments/<int:attachment_id>/")),
    ("care_team", ("POST", "api/v1/threads/<int:thread_id>/messages/")),
    ("admin", ("GET", "admin/")),
    ("admin", ("GET", "admin/audit/auditevent/")),
    ("anonymous", ("GET", "api/docs/")),
    ("outsider", ("GET", "api/v1/patients/<int:patient_id>/")),
]


@pytest.mark.parametrize(("persona", "key"), SAMPLES, ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_security_headers(matrix_world, persona, key):
    world, sessions = matrix_world
    result = perform(key, persona, world, sessions)
    response = result.response
    assert response["X-Frame-Options"] == "DENY"
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    if "sandbox" in csp:
        # A decrypted file is served with its own, stricter policy: nothing loads or runs at all.
        assert set(csp) == {"sandbox", "default-src"}
    else:
        assert csp["script-src"] == ["'self'"], "scripts from the project only: no inline, no eval, no CDN"
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["form-action"] == ["'self'"]
        if not result.path.startswith(("/admin/", "/api/docs/")):
            assert csp["style-src"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_the_csp_setting_is_strict():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for name, sources in directives.items():
        assert "'unsafe-eval'" not in sources, name
        assert not any(source.startswith(("http:", "https:", "*")) for source in sources), name
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]


# --- HSTS and HTTPS, with production settings ---------------------------------------------------

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="aftercare.example.org")
https = client.get("/api/v1/me", HTTP_X_FORWARDED_PROTO="https")
plain = client.get("/api/v1/me")
print(json.dumps({
    "https_status": https.status_code,
    "hsts": https.get("Strict-Transport-Security"),
    "csp": https.get("Content-Security-Policy"),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "plain_hsts": plain.get("Strict-Transport-Security"),
    "session_cookie_secure": __import__("django.conf").conf.settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": __import__("django.conf").conf.settings.CSRF_COOKIE_SECURE,
}))
"""


def test_hsts_over_https_and_a_redirect_from_http_in_production(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    result = python(env, PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["https_status"] == 401  # not signed in: what matters are the headers
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in seen["csp"]
    assert seen["plain_status"] == 301 and seen["plain_location"] == "https://aftercare.example.org/api/v1/me"
    assert seen["plain_hsts"] is None  # HSTS is only ever sent over HTTPS
    assert seen["session_cookie_secure"] and seen["csrf_cookie_secure"]


# --- No inline script in any template ---------------------------------------------------------


def template_dirs() -> list[Path]:
    """The project's templates and those of every installed app that renders pages."""
    import allauth
    import django.contrib.admin
    import drf_spectacular

    dirs = [ROOT / "portal" / "templates"]
    dirs += [ROOT / app / "templates" for app in ("patients", "messaging", "alerts", "labs", "quality")]
    dirs += [Path(django.contrib.admin.__file__).parent / "templates"]
    dirs += [Path(allauth.__file__).parent / "templates"]
    dirs += [Path(drf_spectacular.__file__).parent / "templates"]
    return [d for d in dirs if d.is_dir()]


# Templates that hold an inline script the project never renders.
NEVER_RENDERED = {
    # drf-spectacular: the project serves the split Swagger view, whose start-up script
    # is a file (script_url); the inline branch and ReDoc are not routed.
    "drf_spectacular/swagger_ui.html": "inline only without script_url; /api/docs/ is the split view",
    "drf_spectacular/redoc.html": "ReDoc is not routed",
}


def test_no_template_has_an_inline_script_or_event_handler():
    problems = []
    count = 0
    for directory in template_dirs():
        for path in directory.rglob("*.html"):
            count += 1
            name = path.relative_to(directory).as_posix()
            found = script_problems(path.read_text(encoding="utf-8"))
            if found and name not in NEVER_RENDERED:
                problems.append(f"{path}: {found}")
    assert count > 200, "the Django admin's and allauth's templates are scanned too"
    assert not problems, "\n".join(problems)


def test_the_browsable_api_with_its_inline_scripts_is_off_in_production():
    renderers = settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]
    assert renderers == ["rest_framework.renderers.JSONRenderer"]


HTML_ROWS = sorted(key for key in MATRIX if key[0] == "GET")


def test_no_rendered_page_has_an_inline_script(matrix_world):
    """Every page of the table, as the first persona that may open it."""
    world, sessions = matrix_world
    problems, pages = [], 0
    for key in HTML_ROWS:
        persona = next((p for p, outcome in zip(PERSONAS, MATRIX[key], strict=True) if outcome == 200), None)
        if persona is None:
            continue
        result = perform(key, persona, world, sessions)
        if "text/html" not in result.response.get("Content-Type", ""):
            continue
        pages += 1
        found = script_problems(result.body.decode("utf-8", "replace"))
        if found:
            problems.append(f"{persona} {result.path}: {found}")
    assert pages > 60
    assert not problems, "\n".join(problems)


def test_the_docs_page_starts_swagger_from_a_file(matrix_world):
    world, sessions = matrix_world
    html = perform(("GET", "api/docs/"), "anonymous", world, sessions).body.decode()
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources), sources  # no CDN
    assert not inline_scripts(html)
