"""The small-numbers rule: 4 is hidden, 5 is shown, on the page, in the CSV and in the
API alike; and a hidden cell cannot be read back from a total."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from quality import suppression
from tests.quality import cohort as data
from tests.quality.cohort import Group

pytestmark = pytest.mark.django_db


def test_counts_under_five_are_hidden():
    assert [suppression.count(k) for k in (0, 1, 4, 5, 6)] == [None, None, None, 5, 6]


def test_a_share_is_hidden_when_either_count_is_small():
    assert suppression.share(4, 100) is None
    assert suppression.share(5, 100) == 0.05
    assert suppression.share(96, 100) is None  # 4 without: as telling as 4 with
    assert suppression.share(95, 100) == 0.95


def test_a_summary_needs_five_values():
    assert suppression.summary(4, 3.2) is None
    assert suppression.summary(5, 3.2) == 3.2


def test_a_hidden_cell_is_not_left_alone_beside_its_total():
    assert suppression.hidden_cells([3, 40, 60]) == [True, True, False]
    assert suppression.hidden_cells([3, 2, 60]) == [True, True, False]  # together 5
    assert suppression.hidden_cells([30, 40, 60]) == [False, False, False]
    # k of n beside a published total: hide more until the hidden hold 5 of each kind.
    assert suppression.shares_shown_beside_total([(50, 4), (60, 10), (80, 20)], [False, True, True]) == [
        False,
        False,
        True,
    ]


def build(pdph: int):
    """100 atraumatic 22 G procedures with ``pdph`` PDPH; the other counts at the edge too."""
    cohort = data.build_cohort([Group("atraumatic", 22, procedures=100, pdph=pdph, referred=pdph)])
    patients = [p.patient for p in cohort.procedures]
    at = timezone.now() - timedelta(days=10)
    for n in range(pdph):
        data.urgent_alert(patients[n], at, acknowledged_after=timedelta(minutes=5 + n))
        thread = data.thread_of(patients[n], patients[n].user, at)
        data.message(thread, patients[n].user, at)
        data.message(thread, cohort.neurologist, at + timedelta(hours=2))
        data.feedback(cohort.procedures[n], 4, 5)
    return cohort


def api(client_for, user) -> dict:
    response = client_for(user).get("/api/v1/quality/")
    assert response.status_code == 200
    return response.json()


def test_four_is_hidden_everywhere(client_for, quality_lead):
    build(pdph=4)
    figures = api(client_for, quality_lead)
    (row,) = figures["pdph_by_needle"]
    assert row["procedures"] == 100
    assert (row["pdph"], row["rate"], row["ci_low"], row["ci_high"]) == (None, None, None, None)
    assert figures["blood_patch_referrals"] is None
    assert figures["urgent_ack_minutes"]["alerts"] is None
    assert figures["urgent_ack_minutes"]["median"] is None
    assert figures["message_reply_hours"]["messages"] is None
    assert figures["message_reply_hours"]["median"] is None
    assert figures["feedback"] == {"n": None, "clarity": None, "responsiveness": None, "response_share": None}

    rows = list(csv.reader(io.StringIO(client_for(quality_lead).get("/quality/pdph.csv").content.decode())))
    assert rows[2][:7] == ["Atraumatic", "22", "100", "", "", "", ""]
    assert rows[2][7] == "not shown: a count under 5"
    page = client_for(quality_lead).get("/quality/").content.decode()
    assert "fewer than 5" in page
    assert "4 of 5" not in page


def test_five_is_shown_everywhere(client_for, quality_lead):
    build(pdph=5)
    figures = api(client_for, quality_lead)
    (row,) = figures["pdph_by_needle"]
    assert (row["procedures"], row["pdph"], row["rate"]) == (100, 5, 0.05)
    assert figures["blood_patch_referrals"] == 5
    assert figures["urgent_ack_minutes"]["alerts"] == 5
    assert figures["urgent_ack_minutes"]["median"] == pytest.approx(7.0)
    assert figures["message_reply_hours"]["messages"] == 5
    assert figures["message_reply_hours"]["median"] == pytest.approx(2.0)
    assert figures["feedback"]["n"] == 5
    assert figures["feedback"]["clarity"] == 4.0

    rows = list(csv.reader(io.StringIO(client_for(quality_lead).get("/quality/pdph.csv").content.decode())))
    assert rows[2][:5] == ["Atraumatic", "22", "100", "5", "0.05"]
    page = client_for(quality_lead).get("/quality/").content.decode()
    assert "5.0 %" in page
