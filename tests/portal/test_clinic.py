"""The clinic's settings: one row from the environment, edited in admin, opening hours."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from portal.accounts.models import Role, User
from portal.clinic.models import ClinicSettings, OpeningHours
from portal.clinic.selectors import Clinic, Opening, current_clinic

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_5 = tuple(Opening(weekday=day, opens=time(9), closes=time(17)) for day in range(5))


def clinic(**overrides) -> Clinic:
    values = {
        "name": "Test clinic",
        "phone": "+1 (555) 010-0200",
        "emergency_number": "911",
        "oncall_email": "oncall@clinic.test",
        "time_zone": "America/New_York",
        "opening_hours": WEEKDAYS_9_TO_5,
        "message_response_hours": None,
        "red_flag_response_hours": 4,
    }
    return Clinic(**{**values, **overrides})


def test_the_migration_seeds_one_row_open_monday_to_friday():
    row = ClinicSettings.objects.get()
    assert row.pk == 1
    assert row.emergency_number == "911"
    assert sorted(row.opening_hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert current_clinic().opening_hours == tuple(Opening(day, time(8), time(17)) for day in range(5))


def test_without_a_row_the_environment_gives_the_values(settings):
    ClinicSettings.objects.all().delete()
    settings.AFTERCARE_CLINIC_PHONE = "+44 20 7946 0000"
    settings.AFTERCARE_EMERGENCY_NUMBER = "999"
    settings.AFTERCARE_ONCALL_EMAIL = "oncall@example.org"
    values = current_clinic()
    assert (values.phone, values.emergency_number, values.oncall_email) == (
        "+44 20 7946 0000",
        "999",
        "oncall@example.org",
    )
    assert values.emergency_href == "tel:999"
    assert values.phone_href == "tel:+442079460000"


def test_a_saved_row_wins_over_the_environment(settings):
    settings.AFTERCARE_CLINIC_PHONE = "+1 555 0000"
    ClinicSettings.objects.filter(pk=1).update(phone="+1 555 0199", emergency_number="112")
    assert current_clinic().phone == "+1 555 0199"
    assert current_clinic().emergency_number == "112"


def test_a_second_row_is_impossible():
    with pytest.raises(Exception):  # noqa: B017 - the database's check constraint refuses it
        ClinicSettings.objects.bulk_create([ClinicSettings(id=2, name="Another")])


@pytest.mark.parametrize(
    ("at_utc", "is_open"),
    [
        (datetime(2026, 12, 7, 14, 0, tzinfo=UTC), True),  # Monday 09:00 in New York: opens
        (datetime(2026, 12, 7, 13, 59, tzinfo=UTC), False),  # 08:59
        (datetime(2026, 12, 7, 21, 59, tzinfo=UTC), True),  # 16:59
        (datetime(2026, 12, 7, 22, 0, tzinfo=UTC), False),  # 17:00: closed
        (datetime(2026, 12, 5, 15, 0, tzinfo=UTC), False),  # Saturday 10:00
    ],
)
def test_opening_hours_are_read_in_the_clinics_time_zone(at_utc, is_open):
    assert clinic().is_open(at_utc) is is_open


def test_next_opening_after_a_friday_evening_is_monday_morning():
    friday_evening = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 18:30 in New York
    assert clinic().next_opening(friday_evening) == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_next_opening_while_open_is_now_and_none_without_hours():
    monday_noon = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    assert clinic().next_opening(monday_noon) == monday_noon
    assert clinic(opening_hours=()).next_opening(monday_noon) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "call us"), ("emergency_number", "9-1-1"), ("emergency_number", ""), ("time_zone", "Mars/Olympus")],
)
def test_the_model_refuses_values_nobody_can_dial(field, value):
    row = ClinicSettings.objects.get()
    setattr(row, field, value)
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert field in caught.value.message_dict


def test_opening_hours_close_after_they_open():
    row = OpeningHours(clinic=ClinicSettings.objects.get(), weekday=5, opens=time(12), closes=time(9))
    with pytest.raises(ValidationError) as caught:
        row.full_clean()
    assert "closes" in caught.value.message_dict


def test_admin_edits_the_clinic_and_refuses_a_bad_emergency_number(admin, client_for):
    admin_client_ = client_for(admin)
    url = reverse("admin:clinic_clinicsettings_change", args=[1])
    page = admin_client_.get(reverse("admin:clinic_clinicsettings_changelist"))
    assert url in page.content.decode()
    form = {
        "name": "Riverside neurology",
        "phone": "+1 555 0100",
        "emergency_number": "9-1-1",
        "oncall_email": "oncall@clinic.test",
        "time_zone": "America/Chicago",
        "message_response_hours": "",
        "red_flag_response_hours": "4",
        "opening_hours-TOTAL_FORMS": "0",
        "opening_hours-INITIAL_FORMS": "0",
    }
    refused = admin_client_.post(url, form)
    assert refused.status_code == 200
    assert "2 to 6 digits" in refused.content.decode()
    assert ClinicSettings.objects.get().emergency_number == "911"
    saved = admin_client_.post(url, {**form, "emergency_number": "112"})
    assert saved.status_code == 302
    assert current_clinic().emergency_number == "112"
    assert current_clinic().time_zone == "America/Chicago"


def test_only_clinicians_join_the_triage_pool():
    patient = User(email="pat@clinic.test", role=Role.PATIENT, is_triage=True)
    with pytest.raises(ValidationError) as caught:
        patient.full_clean(exclude=["password"])
    assert "Only a clinician can be in the triage pool." in str(caught.value)


def test_create_clinician_with_triage_puts_them_in_the_pool(mailoutbox):
    call_command(
        "create_clinician",
        "--email=nurse@clinic.test",
        "--first-name=Tess",
        "--last-name=Triage",
        "--specialty=nursing",
        "--triage",
    )
    call_command(
        "create_clinician",
        "--email=neuro@clinic.test",
        "--first-name=Nora",
        "--last-name=Quinn",
        "--specialty=neurology",
    )
    nurse = User.objects.get(email="nurse@clinic.test")
    assert nurse.is_triage
    assert list(User.objects.triage_pool()) == [nurse]
    nurse.is_active = False
    nurse.save()
    assert not User.objects.triage_pool().exists()
