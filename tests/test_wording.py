"""Words Aftercare never says (CLINICAL.md section 6 and issue 13).

No "reassuring" about a normal result, no response time the clinic has not set, no
emergency instruction made conditional on failing to reach the clinic, no promise that
someone reads diary notes, no fixed or extra fluid volumes, no "rules out", no bed rest
as prevention, no negative predictive values, no timed blood patch, no needle claims
about back pain. Searched in every template, every string the code shows, every email
text, every row the migrations seed, the demo data (messages opened), and every page the
demo patient and clinician can reach by following links.
"""

from __future__ import annotations

import ast
import re
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client

from messaging.models import Message, Thread
from messaging.selectors import body_of, subject_of
from portal.outbox.texts import TEXTS, render_email
from tests.factories import enable_totp
from tests.sessions import sign_in

ROOT = Path(__file__).resolve().parent.parent
APP_DIRS = ["alerts", "labs", "messaging", "patients", "portal", "interop", "quality"]

FORBIDDEN = {
    "reassuring about a result": r"\breassur",
    "a response time the clinic has not set": r"within (a few|several|one|1) (hours?|business days?|working days?)"
    r"|usually within|business day",
    "an emergency instruction made conditional": r"(if|when) you (cannot|can't|can not) reach us",
    "a promise that notes are read": r"your care team reads this",
    "extra fluids": r"plenty of (fluids|water)|drink (lots|more|extra)|extra (fluids|water)",
    "a fixed fluid volume": r"(fluid|water|drink)\w*\b[^.]{0,60}?\b\d[\d.,]*\s*(ml|l|litres?|liters?|glasses|cups|oz)\b",
    "ruling out": r"\brule[sd]? out\b",
    "a negative predictive value": r"negative predictive|\bNPV\b",
    "bed rest": r"\bbed[- ]?rest",
    "the lymphocytic count under 50": r"lymphocytic count (under|below|of less than) 50",
    "a timed blood patch": r"blood patch (after|within|in|at) \d|\d+\s*(hours?|days?)[^.]{0,40}blood patch",
    "a needle claim about back pain": r"(cutting|atraumatic|pencil[- ]point)[^.]{0,80}back pain",
}
# Said unconditionally in a stored text, it is false whenever nobody is on the care team.
FORBIDDEN_IN_STORED_TEXTS = {**FORBIDDEN, "an unconditional 'has been alerted'": r"has been alerted"}


def found_in(text: str, rules: dict[str, str] = FORBIDDEN) -> list[str]:
    return [
        f"{label}: {match.group(0)!r}"
        for label, pattern in rules.items()
        for match in [re.search(pattern, text, flags=re.IGNORECASE)]
        if match
    ]


def words_of(markup: str) -> str:
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# --- Sources ---------------------------------------------------------------------------------------


def template_files() -> list[Path]:
    return sorted(path for app in APP_DIRS for path in (ROOT / app).glob("**/templates/**/*") if path.is_file())


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_says_it(path):
    assert found_in(path.read_text()) == []


def shown_strings(path: Path) -> list[str]:
    """The string constants of a module, its docstrings left out (they talk about the words)."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def code_files() -> list[Path]:
    return sorted(
        path
        for app in APP_DIRS
        for path in (ROOT / app).glob("**/*.py")
        if "migrations" not in path.parts and path.exists()
    )


@pytest.mark.parametrize("path", code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_string_in_the_code_says_it(path):
    assert [problem for text in shown_strings(path) for problem in found_in(text)] == []


@pytest.mark.parametrize("kind", sorted(TEXTS))
@pytest.mark.parametrize("audience", ["patient", "clinician", "address"])
def test_no_email_says_it(db, kind, audience):
    subject, body = render_email(kind=kind, audience=audience, link="/")
    assert found_in(subject + "\n" + body, FORBIDDEN_IN_STORED_TEXTS) == []


# --- The database: seeded rows, then the demo --------------------------------------------------------


def stored_texts() -> list[tuple[str, str]]:
    """Every text column of every row: (where, text)."""
    found = []
    for model in apps.get_models():
        columns = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField) and not field.choices
        ]
        if not columns:
            continue
        for row in model._default_manager.values("pk", *columns):
            for column in columns:
                if row[column]:
                    found.append((f"{model._meta.label}#{row['pk']}.{column}", str(row[column])))
    return found


def problems_in(texts: list[tuple[str, str]]) -> list[str]:
    return [f"{where}: {problem}" for where, text in texts for problem in found_in(text, FORBIDDEN_IN_STORED_TEXTS)]


@pytest.mark.django_db
def test_no_seeded_row_says_it():
    """The rows the migrations seed: alert rules, analytes, drugs, the pain plan, the clinic."""
    assert problems_in(stored_texts()) == []


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_no_demo_row_or_message_says_it(demo):
    opened = [(f"thread #{t.pk} subject", subject_of(t)) for t in Thread.objects.all()]
    opened += [(f"message #{m.pk}", body_of(m)) for m in Message.objects.all()]
    assert opened, "the demo has messages"
    assert problems_in(stored_texts() + opened) == []


# --- Every page the demo's patient and clinician reach ------------------------------------------------

SKIP = ("/accounts/", "/_allauth/", "/admin/", "/api/", "/static/", "/healthz", "/readyz", "/metrics", "/invitations/")


def crawl(client: Client, start: list[str], limit: int = 120) -> dict[str, str]:
    """Follow every same-site link (GET, no query strings) from ``start``: path -> page text."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            seen[path] = ""
            continue
        page = response.content.decode()
        seen[path] = words_of(page)
        for href in re.findall(r'href="([^"#]+)', page):
            target = urlsplit(unescape(href))
            if target.scheme or target.netloc or not target.path.startswith("/"):
                continue
            if target.path.startswith(SKIP) or target.path.endswith("/file/") or "/attachments/" in target.path:
                continue
            queue.append(target.path)
    return seen


@pytest.mark.parametrize("email", ["patient@aftercare.example", "neurologist@aftercare.example"])
def test_no_page_the_demo_reaches_says_it(demo, email, django_user_model):
    user = django_user_model.objects.get(email=email)
    if user.role != "patient":
        enable_totp(user)
    client = Client()
    sign_in(client, user)
    pages = crawl(client, ["/"])
    assert len([p for p in pages.values() if p]) >= 8, sorted(pages)
    assert {path: found_in(text) for path, text in pages.items() if found_in(text)} == {}
