"""Who reads the clinic's quality figures: quality leads (a mark an admin sets, audited)
and admins; bad periods are 400s naming the parameter."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from portal.accounts.models import User
from portal.audit.models import AuditEvent
from tests.factories import AdminFactory, ClinicianFactory
from tests.security.test_admin_reach import account_form

pytestmark = pytest.mark.django_db


def test_quality_leads_and_admins_read_the_figures(client_for, quality_lead, admin, clinician, patient):
    for user in (quality_lead, admin):
        assert client_for(user).get("/api/v1/quality/").status_code == 200
        assert client_for(user).get("/quality/").status_code == 200
        assert client_for(user).get("/quality/feedback.csv").status_code == 200
    for user in (clinician, patient.user):
        assert client_for(user).get("/api/v1/quality/").status_code == 403
        assert client_for(user).get("/quality/").status_code == 403
        assert client_for(user).get("/quality/pdph.csv").status_code == 403


def test_the_nav_offers_quality_to_its_readers_only(client_for, quality_lead, clinician):
    assert 'href="/quality/"' in client_for(quality_lead).get("/").content.decode()
    assert 'href="/quality/"' not in client_for(clinician).get("/").content.decode()


def test_a_csv_of_an_unknown_figure_is_a_404(client_for, quality_lead):
    assert client_for(quality_lead).get("/quality/nothing.csv").status_code == 404


def test_a_csv_download_is_a_named_attachment(client_for, quality_lead):
    response = client_for(quality_lead).get("/quality/urgent-alerts.csv?from=2026-01-01&to=2026-06-30")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="aftercare-quality-urgent-alerts-2026-01-01-to-2026-06-30.csv"' in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2026-13-01", "from"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("to=20260101", "to"),
        ("from=0001-01-01", "from"),
        ("from=2026-06-01&to=2026-05-31", "from"),
        ("from=2020-12-31&to=2025-12-31", "from"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_parameter(client_for, quality_lead, query, parameter):
    client = client_for(quality_lead)
    response = client.get(f"/api/v1/quality/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    page = client.get(f"/quality/?{query}")
    assert page.status_code == 400
    assert f'id="period-{parameter}-error"' in page.content.decode()
    assert client.get(f"/quality/pdph.csv?{query}").status_code == 400


def test_five_years_exactly_is_allowed(client_for, quality_lead):
    response = client_for(quality_lead).get("/api/v1/quality/?from=2021-01-01&to=2025-12-31")
    assert response.status_code == 200
    assert response.json()["period_from"] == "2021-01-01"
    assert response.json()["procedures_by_time"] == []


def test_the_quality_mark_is_for_clinicians_and_audited(client_for):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        User(email="p@example.test", role="patient", is_quality=True).full_clean(exclude=["password"])
    admin = AdminFactory(email="marks.admin@example.test")
    nurse = ClinicianFactory(email="quality.nurse@example.test")
    client_for(admin).post(f"/admin/accounts/user/{nurse.pk}/change/", account_form(nurse, is_quality="on"))
    nurse.refresh_from_db()
    assert nurse.is_quality
    assert list(AuditEvent.objects.filter(object_id=str(nurse.pk)).values_list("action", "detail")) == [
        ("account.quality_changed", "is_quality: False -> True")
    ]
    # Not on one's own account.
    page = client_for(admin).get(f"/admin/accounts/user/{admin.pk}/change/").content.decode()
    assert 'name="is_quality"' not in page


def test_create_clinician_with_quality(mailoutbox):
    call_command(
        "create_clinician",
        "--email=lead@clinic.test",
        "--first-name=Quinn",
        "--last-name=Harper",
        "--specialty=nursing",
        "--quality",
    )
    assert list(User.objects.quality_leads().values_list("email", flat=True)) == ["lead@clinic.test"]
