"""The one role check of the HTML pages (``portal.pages``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from portal.pages import role_required
from tests.factories import ClinicianFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "patients", "messaging", "alerts", "labs", "interop", "quality")


@role_required("clinician")
def clinicians_only(request):
    return HttpResponse("ok")


@role_required("clinician", refuse=Http404)
def hidden_from_others(request):
    return HttpResponse("ok")


def test_the_right_role_sees_the_page(db):
    request = RequestFactory().get("/x/")
    request.user = ClinicianFactory()
    assert clinicians_only(request).content == b"ok"


def test_another_role_gets_403_or_404(db):
    request = RequestFactory().get("/x/")
    request.user = UserFactory(role="patient")
    with pytest.raises(PermissionDenied):
        clinicians_only(request)
    with pytest.raises(Http404):
        hidden_from_others(request)


def test_a_visitor_is_sent_to_sign_in():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/x/")
    request.user = AnonymousUser()
    response = clinicians_only(request)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_no_page_checks_a_role_its_own_way():
    """Views refuse by role only through ``portal.pages``: no ``if ... role ...: raise``."""
    found = []
    for path in sorted(p for app in APPS for p in (ROOT / app).rglob("views.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            refuses = isinstance(node, ast.If) and any(isinstance(stmt, ast.Raise) for stmt in node.body)
            if refuses and "role" in ast.unparse(node.test):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
