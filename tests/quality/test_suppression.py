"""The small-numbers rule: 4 is hidden, 5 is shown, on the page, in the CSV and in the
API alike; and a hidden cell cannot be read back from a total."""

from __future__ import annotations

import csv
import io
import itertools
import random
import re
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


def breakdown(total_parts: dict[str, int]) -> suppression.Counts:
    table = suppression.Counts()
    table.add("all", sum(total_parts.values()))
    table.total("all", [table.add(name, n) for name, n in total_parts.items()])
    return table


def test_a_hidden_cell_is_not_left_alone_beside_its_total():
    assert breakdown({"a": 3, "b": 40, "c": 60}).hidden() == {"a", "b"}
    assert breakdown({"a": 3, "b": 2, "c": 60}).hidden() == {"a", "b"}  # together 5
    assert breakdown({"a": 30, "b": 40, "c": 60}).hidden() == set()


def test_a_rate_shows_both_counts_or_neither():
    table = suppression.Counts()
    table.add("n", 50)
    table.split("n", [table.add("with", 47), table.add("without", 3)])
    assert table.hidden() == {"with", "without"}


def needles(atraumatic: int) -> suppression.Counts:
    """The gap of the procedure figures: one atraumatic gauge, two cutting ones, and the
    period's total (the months add up to it too)."""
    table = suppression.Counts()
    table.add("all", atraumatic + 100)
    table.total("all", [table.add("month 1", 50 + atraumatic), table.add("month 2", 50)])
    table.total("all", [table.add("atraumatic", atraumatic), table.add("cutting", 100)])
    table.total("atraumatic", [table.add("atraumatic 22 G", atraumatic)])
    table.total("cutting", [table.add("cutting 22 G", 60), table.add("cutting 20 G", 40)])
    table.total("all", ["atraumatic 22 G", "cutting 22 G", "cutting 20 G"])
    return table


def test_a_small_gauge_cannot_be_worked_out_from_the_total_and_the_other_gauges():
    # 4: hidden, and so are its type, the other type and one of its gauges (the smaller):
    # the total minus the shown gauge leaves 44 between the two hidden ones.
    assert needles(4).hidden() == {"atraumatic 22 G", "atraumatic", "cutting", "cutting 20 G"}
    assert needles(5).hidden() == set()


def test_a_count_acknowledged_late_is_protected_though_never_shown():
    """Acknowledged 30 of 40, within the target 28: the two shares and the total would
    give the 2 acknowledged late away; the finer share goes."""
    table = suppression.Counts()
    table.add("alerts", 40)
    for name, k in (("acknowledged", 30), ("within", 28)):
        table.split("alerts", [table.add((name, True), k), table.add((name, False), 40 - k)])
    late = table.add("late", 2, private=True)
    table.total(("within", False), [late, ("acknowledged", False)])
    table.total(("acknowledged", True), [("within", True), late])
    assert table.hidden() == {"late", ("acknowledged", True), ("acknowledged", False)}
    table.values["late"], table.values[("within", True)], table.values[("within", False)] = 5, 25, 15
    assert table.hidden() == {"late"}  # 5 late may be known


GAUGES = {"a": ("a22", "a25"), "c": ("c22", "c20")}


def clinic(gauges: dict[str, int], first_month: int) -> dict[str, int]:
    """Every count of a small clinic from its gauges: types, the total, two months."""
    counts = dict(gauges)
    for kind, names in GAUGES.items():
        counts[kind] = sum(gauges[name] for name in names)
    counts["all"] = counts["a"] + counts["c"]
    counts["m1"], counts["m2"] = first_month, counts["all"] - first_month
    return counts


def possible_values(shown: dict[str, int], hidden: set[str]) -> dict[str, set[int]]:
    """An attacker's view, by brute force: each hidden count's values over every clinic
    whose shown counts are the ones shown (no gauge over the total, when it is shown)."""
    limit = shown.get("all", 20)
    options = {}  # per type: the gauges that agree with what is shown of the type
    for kind, names in GAUGES.items():
        ranges = [[shown[name]] if name in shown else range(limit + 1) for name in names]
        options[kind] = [
            dict(zip(names, values, strict=True))
            for values in itertools.product(*ranges)
            if kind not in shown or sum(values) == shown[kind]
        ]
    found: dict[str, set[int]] = {key: set() for key in hidden}
    months = {key: value for key, value in shown.items() if key in ("m1", "m2")}
    for a, c in itertools.product(options["a"], options["c"]):
        counts = clinic({**a, **c}, 0)
        total = counts["all"]
        if "all" in shown and total != shown["all"]:
            continue
        # The months split the total: hidden ones take whatever the shown ones leave.
        rest = total - sum(months.values())
        if rest < 0 or (len(months) == 2 and rest != 0):
            continue
        for key in hidden:
            if key in ("m1", "m2"):
                found[key].update(range(rest + 1) if not months else {rest})
            else:
                found[key].add(counts[key])
    return found


@pytest.mark.parametrize("seed", range(40))
def test_no_hidden_count_under_five_can_be_worked_out_random_clinics(seed):
    """Random small clinics (two types of two gauges, two months): every count under 5
    keeps at least two possible values for a reader who knows every shown count and how
    they add up; every shown count is 5 or more."""
    rng = random.Random(seed)
    gauges = {name: rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 14]) for names in GAUGES.values() for name in names}
    counts = clinic(gauges, rng.randint(0, sum(gauges.values())))
    table = suppression.Counts()
    for key in ("all", "m1", "m2", "a", "c", *gauges):
        table.add(key, counts[key])
    table.total("all", ["m1", "m2"])
    table.total("all", ["a", "c"])
    for kind, names in GAUGES.items():
        table.total(kind, names)
    table.total("all", list(gauges))
    hidden = table.hidden()
    shown = {key: value for key, value in counts.items() if key not in hidden}
    assert all(value >= 5 for value in shown.values())
    possible = possible_values(shown, hidden)
    for key in hidden:
        assert counts[key] in possible[key]
        if counts[key] < 5:
            assert len(possible[key]) > 1, (key, counts, sorted(hidden))


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
    assert rows[2][7] == "not shown: a count under 5, or a figure that would give one away"
    page = client_for(quality_lead).get("/quality/").content.decode()
    assert "not shown" in page
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


# --- The gap that complementary suppression closes, through the API, the CSV and the page ---


def one_small_gauge(atraumatic: int):
    """``atraumatic`` procedures with the clinic's only atraumatic gauge, 100 with two
    cutting gauges: the period's total minus the cutting gauges is the small one."""
    data.build_cohort(
        [
            Group("atraumatic", 22, procedures=atraumatic),
            Group("cutting", 22, procedures=60, pdph=15, referred=6),
            Group("cutting", 20, procedures=40, pdph=12, referred=5),
        ]
    )


def possible_procedures(figures: dict, needle: tuple[str, int]) -> set[int]:
    """What a reader of the API can tell of one gauge's procedures: its possible values
    over every count of the hidden gauges (0 to the total) that adds up to the shown
    totals (gauges to their type, types and gauges to the period, months to the period)."""
    total = figures["procedures"]
    gauges = {(row["needle_type"], row["needle_gauge"]): row["procedures"] for row in figures["pdph_by_needle"]}
    types = {row["needle_type"]: row["procedures"] for row in figures["pdph_by_needle_type"]}
    types.update({row["needle_type"]: row["procedures"] for row in figures["blood_patch_by_needle_type"]})
    hidden = [key for key, n in gauges.items() if n is None]
    possible = set()
    for guess in itertools.product(range(total + 1), repeat=len(hidden)):
        counts = {**gauges, **dict(zip(hidden, guess, strict=True))}
        if sum(counts.values()) != total:
            continue
        by_type = {kind: sum(n for (k, _), n in counts.items() if k == kind) for kind in types}
        if all(types[kind] in (None, by_type[kind]) for kind in types):
            possible.add(counts[needle])
    return possible


def pdph_rows(client) -> dict[tuple[str, str], list[str]]:
    rows = list(csv.reader(io.StringIO(client.get("/quality/pdph.csv").content.decode())))
    return {(row[0], row[1]): row for row in rows[1:]}


def test_a_single_gauge_of_four_cannot_be_worked_out(client_for, quality_lead):
    one_small_gauge(4)
    figures = api(client_for, quality_lead)
    assert figures["procedures"] == 104
    gauges = {(row["needle_type"], row["needle_gauge"]): row["procedures"] for row in figures["pdph_by_needle"]}
    assert gauges == {("atraumatic", 22): None, ("cutting", 20): None, ("cutting", 22): 60}
    assert [row["procedures"] for row in figures["pdph_by_needle_type"]] == [None, None]
    assert [row["procedures"] for row in figures["blood_patch_by_needle_type"]] == [None, None]
    # 104 - 60 leaves 44 between the hidden gauges: the 4 is one of many possibilities.
    assert {0, 4, 5, 44} <= possible_procedures(figures, ("atraumatic", 22))
    assert figures["blood_patch_referrals"] == 11  # its parts by type are hidden with the types

    client = client_for(quality_lead)
    csv_rows = pdph_rows(client)
    assert csv_rows[("Atraumatic", "all")][2] == csv_rows[("Atraumatic", "22")][2] == ""
    assert csv_rows[("Cutting", "all")][2] == csv_rows[("Cutting", "20")][2] == ""
    assert csv_rows[("Cutting", "22")][2:4] == ["60", "15"]
    page = client.get("/quality/").content.decode()
    atraumatic = re.search(r"<tr><th scope=\"row\">Atraumatic</th><td>22 G</td>(.*?)</tr>", page)
    assert atraumatic and "not shown" in atraumatic.group(1) and "4" not in atraumatic.group(1)


def test_a_single_gauge_of_five_is_shown(client_for, quality_lead):
    one_small_gauge(5)
    figures = api(client_for, quality_lead)
    gauges = {(row["needle_type"], row["needle_gauge"]): row["procedures"] for row in figures["pdph_by_needle"]}
    assert gauges == {("atraumatic", 22): 5, ("cutting", 20): 40, ("cutting", 22): 60}
    assert [row["procedures"] for row in figures["pdph_by_needle_type"]] == [5, 100]
    assert figures["procedures"] == 105
    assert pdph_rows(client_for(quality_lead))[("Atraumatic", "22")][2] == "5"
    page = client_for(quality_lead).get("/quality/").content.decode()
    assert re.search(r"<tr><th scope=\"row\">Atraumatic</th><td>22 G</td><td>5</td>", page)


def test_a_total_and_its_shown_parts_never_leave_a_count_under_five(client_for, quality_lead):
    """Referrals: 3 atraumatic and 20 cutting, with their total; feedback from all but 2
    of the procedures; 20 urgent alerts, 16 escalated, 14 acknowledged, 12 of them in
    time (so 2 late). Each small remainder stays unknown."""
    cohort = data.build_cohort(
        [Group("atraumatic", 22, procedures=12, referred=3), Group("cutting", 22, procedures=50, referred=20)]
    )
    for procedure in cohort.procedures[2:]:
        data.feedback(procedure, 4, 4)
    at = timezone.now() - timedelta(days=10)
    delays = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 40, 50] + [None] * 6
    for n, minutes in enumerate(delays):
        after = timedelta(minutes=minutes) if minutes is not None else None
        data.urgent_alert(cohort.procedures[n].patient, at, acknowledged_after=after, escalated=n >= 4)
    figures = api(client_for, quality_lead)
    assert figures["procedures"] == 62
    referrals = {row["needle_type"]: row["referrals"] for row in figures["blood_patch_by_needle_type"]}
    assert referrals["atraumatic"] is None
    # 23 in all minus 20 cutting would be the 3 atraumatic: not both.
    assert figures["blood_patch_referrals"] is None or referrals["cutting"] is None
    # 62 procedures minus 60 feedback would be the 2 without.
    assert figures["feedback"]["n"] is None and figures["feedback"]["response_share"] is None
    assert figures["feedback"]["clarity"] == 4.0  # a mean over 60 tells no count
    urgent = figures["urgent_ack_minutes"]
    assert urgent["alerts"] == 20
    assert urgent["escalations"] is None  # 20 - 16: the 4 not escalated
    # 14 acknowledged and 12 in time, both of 20, would give the 2 acknowledged late away:
    # the share in time (the figure's point) stays.
    assert (urgent["acknowledged_share"], urgent["share_within"]) == (None, 0.6)
    assert urgent["median"] is not None  # a time over 14 acknowledgements tells no count
