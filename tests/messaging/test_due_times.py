"""When an inbox item is due (issue 16, point 3; CLINICAL.md section 8).

Normal items follow the clinic's opening hours: due the next business day (the same
clock time on the next opening day, kept inside its hours). High and urgent items
are due 4 hours and 15 minutes after they arrive, open or closed: the opening hours
never push them later. A patient's message that mentions a red flag is high, due
within the clinic's red-flag hours, and its row says "Warning sign".
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from messaging import services
from messaging.models import InboxItem, Thread
from portal.clinic.models import ClinicSettings, OpeningHours
from portal.clinic.selectors import Clinic, Opening

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = tuple(Opening(weekday=day, opens=time(9), closes=time(17)) for day in range(5))


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in New York: the 4th is a Friday, the 7th a Monday."""
    return datetime(2026, 12, day, hour, minute, tzinfo=NEW_YORK)


def clinic(**overrides) -> Clinic:
    values = {
        "name": "Test clinic",
        "phone": "+1 555 010 0200",
        "emergency_number": "911",
        "oncall_email": "",
        "time_zone": "America/New_York",
        "opening_hours": WEEKDAYS_9_TO_5,
        "message_response_hours": None,
        "red_flag_response_hours": 4,
    }
    return Clinic(**{**values, **overrides})


@pytest.mark.parametrize(
    ("at", "due"),
    [
        (ny(3, 12), ny(4, 12)),  # Thursday noon: Friday noon
        (ny(4, 12), ny(7, 12)),  # Friday noon: Monday noon
        (ny(4, 16, 59), ny(7, 16, 59)),  # Friday, a minute before closing
        (ny(4, 18), ny(7, 17)),  # Friday evening: Monday, by closing
        (ny(4, 23, 59), ny(7, 17)),
        (ny(5, 10), ny(7, 10)),  # Saturday morning: Monday
        (ny(6, 6), ny(7, 9)),  # Sunday before dawn: Monday at opening
        (ny(6, 23), ny(7, 17)),  # Sunday night
        (ny(7, 7), ny(8, 9)),  # Monday before opening: Tuesday at opening
    ],
)
def test_the_next_business_day_follows_the_opening_hours(at, due):
    assert clinic().next_business_day(at) == due
    assert clinic().next_business_day(at.astimezone(UTC)) == due  # whatever zone it is asked in


def test_a_clinic_closed_on_mondays_gives_tuesday():
    tuesday_to_friday = tuple(o for o in WEEKDAYS_9_TO_5 if o.weekday != 0)
    assert clinic(opening_hours=tuesday_to_friday).next_business_day(ny(4, 18)) == ny(8, 17)


def test_no_opening_hours_no_business_day():
    assert clinic(opening_hours=()).next_business_day(ny(4, 18)) is None


# --- Due times of inbox items, with the clinic's saved settings ---------------------------------


@pytest.fixture
def new_york_clinic(db):
    row = ClinicSettings.objects.get()
    row.time_zone = "America/New_York"
    row.message_response_hours = None
    row.red_flag_response_hours = 4
    row.save()
    OpeningHours.objects.filter(clinic=row).delete()
    for day in range(5):
        OpeningHours.objects.create(clinic=row, weekday=day, opens=time(9), closes=time(17))
    return row


FRIDAY_EVENING = ny(4, 18, 30)
SATURDAY = ny(5, 11)


@pytest.mark.parametrize(
    ("at", "priority", "due"),
    [
        (FRIDAY_EVENING, "normal", ny(7, 17)),
        (FRIDAY_EVENING, "high", FRIDAY_EVENING + timedelta(hours=4)),  # Friday night, not Monday
        (FRIDAY_EVENING, "urgent", FRIDAY_EVENING + timedelta(minutes=15)),
        (SATURDAY, "normal", ny(7, 11)),
        (SATURDAY, "high", SATURDAY + timedelta(hours=4)),
        (SATURDAY, "urgent", SATURDAY + timedelta(minutes=15)),
        (ny(7, 10), "normal", ny(8, 10)),  # an ordinary Monday: Tuesday
    ],
)
def test_default_due_times_by_priority(new_york_clinic, at, priority, due):
    assert services.default_due_at(priority, now=at) == due


def test_without_opening_hours_a_normal_item_rolls_to_the_next_weekday(new_york_clinic):
    OpeningHours.objects.all().delete()
    assert services.default_due_at("normal", now=FRIDAY_EVENING) == FRIDAY_EVENING + timedelta(days=3)


def item_of(thread: Thread) -> InboxItem:
    return InboxItem.objects.get(kind="message", source_id=str(thread.pk))


def test_a_red_flag_message_on_friday_evening_is_due_that_night_not_on_monday(new_york_clinic, patient, clinician):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        thread = services.start_thread(author=patient.user, subject="Tonight", body="Fever and stiff neck, 38.6")
    item = item_of(thread)
    assert (item.priority, item.red_flag) == ("high", True)
    assert item.due_at == FRIDAY_EVENING + timedelta(hours=4)


def test_the_clinics_red_flag_hours_apply_at_the_weekend(new_york_clinic, patient, clinician):
    ClinicSettings.objects.update(red_flag_response_hours=2)
    with time_machine.travel(SATURDAY, tick=False):
        thread = services.start_thread(author=patient.user, subject="Now", body="I had a seizure")
    assert item_of(thread).due_at == SATURDAY + timedelta(hours=2)


def test_an_ordinary_message_on_friday_evening_is_due_on_monday(new_york_clinic, patient, clinician):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        thread = services.start_thread(author=patient.user, subject="Swimming", body="When may I swim again?")
    item = item_of(thread)
    assert (item.priority, item.red_flag) == ("normal", False)
    assert item.due_at == ny(7, 17)


def test_the_clinics_message_hours_count_opening_time_only(new_york_clinic, patient, clinician):
    ClinicSettings.objects.update(message_response_hours=2)
    with time_machine.travel(ny(4, 16, 30), tick=False):
        thread = services.start_thread(author=patient.user, subject="Swimming", body="When may I swim again?")
    assert item_of(thread).due_at == ny(7, 10, 30)  # half an hour on Friday, 90 minutes on Monday


def test_a_red_flag_reply_raises_an_open_item_and_a_later_ordinary_round_is_not_flagged(
    new_york_clinic, patient, clinician
):
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        thread = services.start_thread(author=patient.user, subject="Swimming", body="When may I swim again?")
    later = FRIDAY_EVENING + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        services.post_message(author=patient.user, thread=thread, body="Now I feel drowsy and confused")
    item = item_of(thread)
    assert (item.priority, item.red_flag, item.due_at) == ("high", True, later + timedelta(hours=4))
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        services.post_message(author=clinician, thread=thread, body="Called you.", inbox_status="done")
        services.post_message(author=patient.user, thread=thread, body="Thank you, may I swim on Monday?")
    item.refresh_from_db()
    assert item.status == "new" and item.red_flag is False


# --- The row and the API say so ---------------------------------------------------------------------


def test_the_inbox_row_flags_a_red_flag_message(client_for, patient, clinician):
    services.start_thread(author=patient.user, subject="Tonight", body="Fever and stiff neck")
    services.start_thread(author=patient.user, subject="Swimming", body="When may I swim again?")
    page = client_for(clinician).get("/inbox/").content.decode()
    rows = [row for row in page.split(' class="inbox-row')[1:]]
    assert len(rows) == 2
    flagged = [row for row in rows if "⚑ Warning sign" in row]
    assert len(flagged) == 1 and "row-high" in flagged[0]
    results = client_for(clinician).get("/api/v1/inbox/").json()["results"]
    assert sorted(r["red_flag"] for r in results) == [False, True]


# --- Closed days (public holidays) ------------------------------------------------------------------

CHRISTMAS = datetime(2026, 12, 25).date()  # a Friday


def test_a_closed_day_is_skipped_by_the_opening_hours():
    closed = clinic(closed_days=frozenset({CHRISTMAS}))
    assert not closed.is_open(ny(25, 12))
    assert closed.next_business_day(ny(24, 12)) == ny(28, 12)  # Thursday noon: Monday noon
    assert closed.next_opening(ny(24, 18)) == ny(28, 9)
    assert closed.after_opening_hours(ny(24, 16), 2) == ny(28, 10)  # an hour on Thursday, an hour on Monday


def test_a_closed_day_on_the_clinic_row_moves_normal_items_and_never_high_ones(new_york_clinic):
    ClinicSettings.objects.update(closed_days="2026-12-25 Christmas Day\n\n2027-01-01 New Year's Day")
    thursday_evening = ny(24, 18)
    assert services.default_due_at("normal", now=thursday_evening) == ny(28, 17)
    assert services.default_due_at("high", now=thursday_evening) == thursday_evening + timedelta(hours=4)
    assert services.default_due_at("urgent", now=ny(25, 12)) == ny(25, 12) + timedelta(minutes=15)


def test_a_closed_day_that_is_not_a_date_is_refused_naming_its_line(new_york_clinic):
    from django.core.exceptions import ValidationError

    new_york_clinic.closed_days = "2026-12-25 Christmas Day\n25/12/2026"
    with pytest.raises(ValidationError) as excinfo:
        new_york_clinic.full_clean()
    assert "Line 2: give the date as YYYY-MM-DD" in str(excinfo.value.message_dict["closed_days"])


def test_a_bad_line_stored_anyway_never_breaks_the_pages(new_york_clinic):
    from portal.clinic.selectors import current_clinic

    ClinicSettings.objects.update(closed_days="not a date\n2026-12-25")
    assert current_clinic().closed_days == frozenset({CHRISTMAS})
