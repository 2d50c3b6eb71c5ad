"""An admin who cannot reach patient data (DESIGN.md: admins manage accounts, roles
and rules; never which patient had which alert; never a clinical role of their own).

Before: an admin could set their own role to clinician in Django admin (unaudited)
and then give themselves a care team; the Notification, Alert and patient
threshold admin pages showed which named patient had which rule or lab release.
(The authenticator attack is in tests/portal/test_authenticator_sealing.py and in
the permission matrix's rows for the authenticator admin.)
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from portal.accounts import services
from portal.audit.models import AuditEvent
from tests.factories import AdminFactory, UserFactory
from tests.security.world import NAME_MARKER

pytestmark = pytest.mark.django_db


def account_form(user, **changes) -> dict:
    """The user change form as the admin's browser posts it."""
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "specialty": user.specialty,
        "display_units": user.display_units,
        "time_zone": user.time_zone,
        "is_triage": "on" if user.is_triage else "",
        "is_quality": "on" if user.is_quality else "",
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- Roles ------------------------------------------------------------------------------------


@pytest.fixture
def admin(db):
    """An admin of their own (the module's world has one named like the suite's persona)."""
    return AdminFactory(email="roles.admin@example.test")


def test_an_admin_cannot_make_themselves_a_clinician(client_for, admin):
    client = client_for(admin)
    page = client.get(f"/admin/accounts/user/{admin.pk}/change/")
    assert page.status_code == 200
    assert 'name="role"' not in page.content.decode()  # shown, not editable
    response = client.post(
        f"/admin/accounts/user/{admin.pk}/change/",
        account_form(admin, role="clinician", specialty="neurology", first_name="Ada"),
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.role == "admin" and admin.specialty == ""  # the name changed, the role did not
    assert admin.first_name == "Ada"
    assert not AuditEvent.objects.filter(action="account.role_changed").exists()


def test_an_admin_cannot_drop_or_change_their_own_flags(client_for, admin):
    client_for(admin).post(
        f"/admin/accounts/user/{admin.pk}/change/", account_form(admin, is_superuser="", is_staff="on")
    )
    admin.refresh_from_db()
    assert admin.is_superuser and admin.is_staff


def test_the_service_refuses_a_change_of_ones_own_role_whatever_the_form_sends(admin):
    admin.role = "clinician"
    admin.specialty = "neurology"
    with pytest.raises(PermissionDenied):
        services.save_account_by_admin(user=admin, actor=admin, created=False)
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_a_role_change_of_someone_else_is_audited(client_for, admin):
    person = UserFactory(email="new.colleague@example.test")
    response = client_for(admin).post(
        f"/admin/accounts/user/{person.pk}/change/", account_form(person, role="clinician", specialty="nursing")
    )
    assert response.status_code == 302, response.content[:500]
    person.refresh_from_db()
    assert person.role == "clinician"
    event = AuditEvent.objects.get(action="account.role_changed")
    assert (event.actor_id, event.object_id, event.detail) == (admin.pk, str(person.pk), "role: patient -> clinician")
    assert event.ip == "127.0.0.1"


def test_staff_and_superuser_changes_are_audited_too(client_for, admin):
    person = UserFactory(email="helper@example.test")
    client_for(admin).post(f"/admin/accounts/user/{person.pk}/change/", account_form(person, is_staff="on"))
    assert list(AuditEvent.objects.filter(object_id=str(person.pk)).values_list("action", "detail")) == [
        ("account.staff_changed", "is_staff: False -> True")
    ]


def test_an_account_added_in_the_admin_is_audited_with_its_access(client_for, admin):
    response = client_for(admin).post(
        "/admin/accounts/user/add/",
        account_form(UserFactory.build(email="added@example.test"), role="admin", is_staff="on"),
    )
    assert response.status_code == 302, response.content[:500]
    event = AuditEvent.objects.get(action="account.created")
    assert event.detail == "role: admin, triage: False, quality: False, staff: True, superuser: False"


def test_putting_a_clinician_in_the_triage_pool_is_audited(client_for, admin):
    """The triage pool receives the alerts of patients without a care team: a reach
    into patient data, changed by an admin, so it is in the log."""
    from tests.factories import ClinicianFactory

    nurse = ClinicianFactory(email="triage.nurse@example.test")
    client_for(admin).post(f"/admin/accounts/user/{nurse.pk}/change/", account_form(nurse, is_triage="on"))
    nurse.refresh_from_db()
    assert nurse.is_triage
    assert list(AuditEvent.objects.filter(object_id=str(nurse.pk)).values_list("action", "detail")) == [
        ("account.triage_changed", "is_triage: False -> True")
    ]


# --- Lists of clinical events ------------------------------------------------------------------

CLINICAL_EVENT_PAGES = ("outbox/notification", "alerts/alert", "alerts/patientthreshold")


@pytest.fixture
def world(matrix_world):
    return matrix_world[0]


@pytest.mark.parametrize("model", CLINICAL_EVENT_PAGES)
def test_admin_pages_of_clinical_events_name_no_patient(world, client_for, model):
    """A's notifications (a lab report released to A, alerts), A's alerts and A's
    custom threshold: the admin sees that they exist, never that they are A's."""
    from django.apps import apps

    model_class = apps.get_model(*model.split("/"))
    rows = list(model_class.objects.order_by("pk"))
    assert rows, f"the world has no {model}: the check would prove nothing"
    client = client_for(world.users["admin"])
    pages = [f"/admin/{model}/"] + [f"/admin/{model}/{row.pk}/change/" for row in rows]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode().lower()
        assert NAME_MARKER not in text, f"{path} names patient A"
        assert world.patient_a.user.email.lower() not in text, f"{path} names patient A"
        assert f"p{world.patient_a.pk}:" not in text, f"{path} carries a key naming patient A"


def test_the_notification_list_says_a_patient_was_notified(world, client_for):
    response = client_for(world.users["admin"]).get("/admin/outbox/notification/?kind=lab_released")
    assert "A patient" in response.content.decode()
