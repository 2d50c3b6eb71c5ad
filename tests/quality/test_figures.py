"""The quality figures on generated data with known rates, checked against the known
numbers and against an independent SQL computation (window functions and joins,
where the app uses correlated subqueries), on PostgreSQL."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from patients.models import Procedure
from portal.accounts.models import Role
from quality.period import parse_period
from quality.selectors import quality_figures
from quality.stats import wilson_interval
from tests.quality import cohort as data
from tests.quality.cohort import Group

pytestmark = pytest.mark.django_db

GROUPS = [
    Group("atraumatic", 22, procedures=120, pdph=12, referred=6),
    Group("atraumatic", 25, procedures=80, pdph=6, referred=0),
    Group("cutting", 22, procedures=100, pdph=25, referred=10),
    Group("cutting", 20, procedures=40, pdph=12, referred=5),
]


def period():
    return parse_period(None, None, today=timezone.now().date(), zone=timezone.get_default_timezone())


def fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def cohort(db):
    return data.build_cohort(GROUPS)


def test_pdph_and_referrals_by_needle_match_the_known_rates(cohort):
    figures = quality_figures(period())
    rows = {(row.needle_type, row.needle_gauge): row for row in figures.by_needle}
    for group in GROUPS:
        row = rows[(group.needle_type, group.needle_gauge)]
        assert row.pdph.procedures == group.procedures
        assert row.pdph.count == group.pdph
        assert row.pdph.rate == pytest.approx(group.pdph / group.procedures)
        low, high = wilson_interval(group.pdph, group.procedures)
        assert (row.pdph.ci_low, row.pdph.ci_high) == pytest.approx((low, high))
        # Atraumatic 25 G had no referral (hidden); 22 G's 6 would give it away beside the type's 6.
        assert row.referrals.count == (None if group.needle_type == "atraumatic" else group.referred)
    assert figures.procedures == 340
    types = {row.needle_type: row.pdph for row in figures.by_needle_type}
    assert (types["atraumatic"].count, types["atraumatic"].procedures) == (18, 200)
    assert (types["cutting"].count, types["cutting"].procedures) == (37, 140)
    assert figures.pdph_ratio == pytest.approx((18 / 200) / (37 / 140))
    assert figures.blood_patch_referrals == 21
    assert figures.blood_patch_share == pytest.approx(21 / 340)


def test_pdph_matches_an_independent_sql_computation(cohort):
    p = period()
    expected = fetch(
        """
        SELECT needle_type, needle_gauge, count(*), sum(CASE WHEN had_pdph THEN 1 ELSE 0 END),
               sum(CASE WHEN referred THEN 1 ELSE 0 END)
        FROM (
            SELECT p.id, p.needle_type, p.needle_gauge,
                   bool_or(e.id IS NOT NULL) AS had_pdph,
                   bool_or(f.id IS NOT NULL) AS referred
            FROM patients_procedure p
            LEFT JOIN patients_symptomentry e
                   ON e.patient_id = p.patient_id AND e.positional_headache AND e.entered_in_error_at IS NULL
                  AND e.recorded_at BETWEEN p.performed_at AND p.performed_at + interval '5 days'
            LEFT JOIN messaging_thread t ON t.patient_id = p.patient_id
            LEFT JOIN messaging_threadforward f ON f.thread_id = t.id
                  AND f.created_at BETWEEN p.performed_at AND p.performed_at + interval '14 days'
                  AND f.to_id IN (SELECT id FROM accounts_user WHERE specialty = 'anesthesiology')
            WHERE p.performed_at >= %s AND p.performed_at < %s
            GROUP BY p.id, p.needle_type, p.needle_gauge
        ) per_procedure
        GROUP BY needle_type, needle_gauge ORDER BY needle_type, needle_gauge
        """,
        [p.start, p.end],
    )
    figures = quality_figures(p)
    got = [
        (row.needle_type, row.needle_gauge, row.pdph.procedures, row.pdph.count, row.referrals.count)
        for row in figures.by_needle
    ]
    assert got == [(t, g, n, k, r if t == "cutting" else None) for t, g, n, k, r in expected]
    assert [row[4] for row in expected] == [6, 0, 5, 10]


def test_urgent_acknowledgement_matches_an_independent_sql_computation(cohort):
    patients = [procedure.patient for procedure in cohort.procedures[:40]]
    at = timezone.now() - timedelta(days=30)
    delays = [2, 3, 4, 5, 6, 8, 9, 11, 12, 14, 15, 16, 20, 25, 33, 41, 58, 75, 90, 130]
    for n, minutes in enumerate(delays):
        after = timedelta(minutes=minutes)
        if n % 3 == 0:  # the inbox item set to done first, the alert acknowledged later
            data.urgent_alert(patients[n], at, done_after=after, acknowledged_after=after * 2, escalated=minutes > 15)
        elif n % 3 == 1:  # only acknowledged
            data.urgent_alert(patients[n], at, acknowledged_after=after, escalated=minutes > 15)
        else:  # acknowledged first, done later
            data.urgent_alert(patients[n], at, acknowledged_after=after, done_after=after * 3, escalated=minutes > 15)
    for n in range(20, 26):  # never acknowledged, escalated
        data.urgent_alert(patients[n], at, escalated=True)
    data.urgent_alert(patients[30], at, acknowledged_after=timedelta(hours=9), severity="contact_provider")

    p = period()
    ((n, acknowledged, within, median, p90, escalated),) = fetch(
        """
        SELECT count(*), count(ack_at), count(*) FILTER (WHERE ack_at - created_at <= interval '15 minutes'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ack_at - created_at) / 60),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM ack_at - created_at) / 60),
               count(escalated_at)
        FROM (
            SELECT a.created_at, a.escalated_at, LEAST(a.acknowledged_at, i.done_at) AS ack_at
            FROM alerts_alert a
            LEFT JOIN messaging_inboxitem i
                   ON i.kind = 'alert' AND i.source_type = 'alerts.alert' AND i.source_id = a.id::text
            WHERE a.severity = 'urgent' AND a.created_at >= %s AND a.created_at < %s
        ) alerts
        """,
        [p.start, p.end],
    )
    urgent = quality_figures(p).urgent
    assert (n, acknowledged, within, escalated) == (26, 20, 11, 15)
    assert urgent.alerts == n
    assert urgent.acknowledged_share == pytest.approx(acknowledged / n)
    assert urgent.within_target_share == pytest.approx(within / n)
    assert urgent.escalations == escalated
    assert urgent.median_minutes == pytest.approx(float(median))
    assert urgent.p90_minutes == pytest.approx(float(p90))
    # The known delays: acknowledgement is the earlier of the two.
    assert urgent.median_minutes == pytest.approx(statistics.median(delays))
    assert urgent.p90_minutes == pytest.approx(statistics.quantiles(delays, n=10, method="inclusive")[8])


def test_message_replies_match_an_independent_sql_computation(cohort):
    clinician = cohort.neurologist
    at = timezone.now() - timedelta(days=20)
    patients = [procedure.patient for procedure in cohort.procedures[:30]]
    waits_hours = []
    for n, patient in enumerate(patients[:12]):
        thread = data.thread_of(patient, patient.user, at)
        data.message(thread, patient.user, at)
        data.message(thread, patient.user, at + timedelta(minutes=30))  # still the same wait
        reply = timedelta(hours=1 + n * 1.5)
        data.message(thread, clinician, at + reply)
        waits_hours.append(reply.total_seconds() / 3600)
        if n % 2 == 0:  # the patient writes again: a new wait, answered after 2 hours
            data.message(thread, patient.user, at + reply + timedelta(hours=1))
            data.message(thread, clinician, at + reply + timedelta(hours=3))
            waits_hours.append(2.0)
    for patient in patients[12:18]:  # unanswered
        data.message(data.thread_of(patient, patient.user, at), patient.user, at)
    for patient in patients[18:20]:  # a clinician writes first: no wait until the patient answers
        thread = data.thread_of(patient, clinician, at)
        data.message(thread, clinician, at)
        data.message(thread, patient.user, at + timedelta(hours=2))
        data.message(thread, clinician, at + timedelta(hours=7))
        waits_hours.append(5.0)

    p = period()
    ((n, answered, median, p90),) = fetch(
        """
        WITH m AS (
            SELECT m.id, m.thread_id, m.created_at, u.role = %s AS from_clinician,
                   lag(u.role = %s) OVER (PARTITION BY m.thread_id ORDER BY m.created_at, m.id) AS after_clinician
            FROM messaging_message m JOIN accounts_user u ON u.id = m.author_id
        ), waits AS (
            SELECT w.created_at,
                   (SELECT min(r.created_at) FROM m r
                     WHERE r.thread_id = w.thread_id AND r.from_clinician
                       AND (r.created_at, r.id) > (w.created_at, w.id)) AS reply_at
            FROM m w
            WHERE NOT w.from_clinician AND coalesce(w.after_clinician, true)
              AND w.created_at >= %s AND w.created_at < %s
        )
        SELECT count(*), count(reply_at),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM reply_at - created_at) / 3600),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM reply_at - created_at) / 3600)
        FROM waits
        """,
        [Role.CLINICIAN, Role.CLINICIAN, p.start, p.end],
    )
    replies = quality_figures(p).replies
    assert (n, answered) == (len(waits_hours) + 6, len(waits_hours))
    assert replies.messages == n
    assert replies.answered_share == pytest.approx(answered / n)
    assert replies.median_hours == pytest.approx(float(median))
    assert replies.p90_hours == pytest.approx(float(p90))
    assert replies.median_hours == pytest.approx(statistics.median(waits_hours))


def test_feedback_means_and_counts(cohort):
    scores = [(5, 4), (4, 4), (5, 5), (3, 2), (4, 5), (5, 3), (2, 4)]
    for procedure, (clarity, responsiveness) in zip(cohort.procedures, scores, strict=False):
        data.feedback(procedure, clarity, responsiveness)
    feedback = quality_figures(period()).feedback
    assert feedback.n == 7
    assert feedback.clarity == pytest.approx(statistics.mean(c for c, _ in scores))
    assert feedback.responsiveness == pytest.approx(statistics.mean(r for _, r in scores))
    assert feedback.response_share == pytest.approx(7 / 340)


def test_the_period_bounds_are_the_clinics_days(cohort):
    """A procedure at 23:30 on the last day is in; one at 00:00 the day after is not."""
    p = parse_period("2020-03-01", "2020-03-31", today=timezone.now().date(), zone=timezone.get_default_timezone())
    inside = cohort.procedures[0]
    Procedure.objects.filter(pk=inside.pk).update(performed_at=p.end - timedelta(minutes=30))
    Procedure.objects.filter(pk=cohort.procedures[1].pk).update(performed_at=p.end)
    Procedure.objects.filter(pk=cohort.procedures[2].pk).update(performed_at=p.start)
    assert quality_figures(p).procedures is None  # 2, under 5: hidden
    assert sum(1 for _ in Procedure.objects.filter(performed_at__gte=p.start, performed_at__lt=p.end)) == 2


def test_the_figures_take_five_queries_whatever_the_rows(cohort, django_assert_num_queries):
    # The test's savepoint and its release, JIT off, 3 by needle, by month, alerts, replies, feedback.
    with django_assert_num_queries(10):
        quality_figures(period())
