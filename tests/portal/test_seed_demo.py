"""``seed_demo``: the demo clinic, idempotent, and it says how to sign in."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command

from portal.accounts.models import Role, User
from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_seed_demo_creates_the_clinic_and_prints_sign_ins():
    output = seed()
    for person in DEMO_PEOPLE:
        user = User.objects.get(email=person.email)
        assert user.role == person.role
        assert user.check_password(DEMO_PASSWORD)
        assert EmailAddress.objects.get(user=user).verified
        assert person.email in output
    assert DEMO_PASSWORD in output
    assert "/accounts/login/" in output
    # Who can sign in: the demo people (the quality page's past-year cohort cannot).
    roles = sorted(User.objects.filter(email__in=[p.email for p in DEMO_PEOPLE]).values_list("role", flat=True))
    assert roles.count(Role.PATIENT) == 2
    assert roles.count(Role.CLINICIAN) == 3
    assert roles.count(Role.ADMIN) == 1
    assert not [
        user for user in User.objects.exclude(email__in=[p.email for p in DEMO_PEOPLE]) if user.has_usable_password()
    ]
    assert User.objects.get(email="quality@aftercare.example").is_quality
    admin = User.objects.get(role=Role.ADMIN)
    assert admin.is_staff and admin.is_superuser


def test_seed_demo_twice_changes_nothing():
    seed()
    before = row_counts()
    seed()
    after = row_counts()
    # Sessions and the audit log may grow; no domain row is duplicated.
    ignored = {"sessions.Session", "audit.AuditEvent"}
    assert {k: v for k, v in after.items() if k not in ignored} == {k: v for k, v in before.items() if k not in ignored}


def test_seed_demo_keeps_a_changed_password():
    seed()
    user = User.objects.get(email=DEMO_PEOPLE[0].email)
    user.set_password("changed-by-the-admin-2026")
    user.save()
    seed()
    user.refresh_from_db()
    assert user.check_password("changed-by-the-admin-2026")
