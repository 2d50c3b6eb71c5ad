"""Rule thresholds as typed, validated data (issue 13, point 3): each rule's schema, the
admin form that refuses anything outside it, the words made from the values, and the
engine that never runs with a row that fails its schema."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection

from alerts.models import AlertRule, PatientThreshold
from alerts.parameters import SCHEMAS, InvalidThresholds, check_thresholds, describe, schema_of, unknown_placeholders
from alerts.rules import rule_book_for_patient, rule_problems
from portal.clinic.texts import CLINIC_PLACEHOLDERS
from tests.alerts.test_safety_net_defects import FormFields, corrupt, post_rule, rule_form

pytestmark = pytest.mark.django_db

WORDED = ("patient_message", "clinician_message", "variant_patient_message", "variant_clinician_message")


# --- The schema and the seeded rows ------------------------------------------------------------


def test_every_seeded_rule_has_a_schema_and_passes_it():
    for rule in AlertRule.objects.all():
        assert rule.code in SCHEMAS, rule.code
        assert check_thresholds(rule.code, rule.thresholds) == check_thresholds(rule.code, rule.last_valid_thresholds)
        assert rule.in_force().source == "saved"
        if rule.adjustable_threshold:
            parameter = schema_of(rule.code).parameter(rule.adjustable_threshold)
            assert parameter is not None, rule.code
            assert parameter.minimum <= rule.threshold_min <= rule.threshold_max <= parameter.maximum, rule.code


def test_every_seeded_word_names_only_what_is_filled():
    for rule in AlertRule.objects.all():
        for field in WORDED:
            text = getattr(rule, field)
            assert unknown_placeholders(text, rule.code, kind=rule.kind, clinic=CLINIC_PLACEHOLDERS) == [], field


def test_seeded_values_sit_inside_their_bounds_with_room_either_side():
    """A bound is a typo guard, never the clinical value itself."""
    for rule in AlertRule.objects.exclude(thresholds={}):
        for parameter in schema_of(rule.code).parameters:
            value = Decimal(str(rule.thresholds[parameter.name]))
            assert parameter.minimum <= value <= parameter.maximum, (rule.code, parameter.name)


def test_no_parameter_shadows_a_field_of_the_rule():
    fields = {f.name for f in AlertRule._meta.get_fields()}
    for schema in SCHEMAS.values():
        assert not fields & set(schema.names)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"temperature_c": 45, "first_day": 0, "last_day": 21}, "temperature_c"),
        ({"temperature_c": 36.9, "first_day": 0, "last_day": 21}, "temperature_c"),
        ({"temperature_c": "abc", "first_day": 0, "last_day": 21}, "temperature_c"),
        ({"temperature_c": "38", "first_day": 0, "last_day": 21}, "temperature_c"),  # text, not a number
        ({"temperature_c": True, "first_day": 0, "last_day": 21}, "temperature_c"),
        ({"temperature_c": None, "first_day": 0, "last_day": 21}, "temperature_c"),
        ({"temperature_c": 38.123, "first_day": 0, "last_day": 21}, "temperature_c"),  # two decimals at most
        ({"first_day": 0, "last_day": 21}, "temperature_c"),  # the key deleted
        ({"temperature_c": 38, "first_day": 0.5, "last_day": 21}, "first_day"),  # a day is whole
        ({"temperature_c": 38, "first_day": 22, "last_day": 21}, "first_day"),  # after last_day
        ({"temperature_c": 38, "first_day": 0, "last_day": 21, "extra": 1}, "extra"),
        ([38, 0, 21], "__all__"),
        ("38", "__all__"),
    ],
)
def test_the_schema_refuses(raw, problem):
    with pytest.raises(InvalidThresholds) as refused:
        check_thresholds("fever", raw)
    assert problem in refused.value.problems


@pytest.mark.parametrize(
    ("value", "ok"),
    [("37.0", True), ("36.99", False), ("40.0", True), ("40.01", False), ("38.25", True)],
    ids=["lower bound", "below it", "upper bound", "above it", "two decimals"],
)
def test_the_fever_bounds(value, ok):
    raw = {"temperature_c": float(value), "first_day": 0, "last_day": 21}
    if ok:
        assert check_thresholds("fever", raw)["temperature_c"] == Decimal(value)
    else:
        with pytest.raises(InvalidThresholds):
            check_thresholds("fever", raw)


# --- The words come from the values ----------------------------------------------------------------


def test_the_description_is_made_from_the_values():
    rule = AlertRule.objects.get(code="fever")
    assert rule.description == "Temperature at or above 38.0 °C (100.4 °F) on day 0 to 21 after the procedure."
    rule.thresholds = {"temperature_c": 37.95, "first_day": 0, "last_day": 14}
    assert rule.description == "Temperature at or above 37.95 °C (100.31 °F) on day 0 to 14 after the procedure."
    late = AlertRule.objects.get(code="late_back_pain")
    assert late.description.startswith("Back pain >= 3 on an entry after day 14.")
    assert "24 h or more later" in late.description and late.description.endswith("Urgent with fever.")
    assert describe("score_rise", {"rise": Decimal(3), "window_hours": Decimal(12)}).startswith(
        "Back pain or headache at least 3 points above the lowest value of the same score in the previous 12 h"
    )


def test_a_message_names_the_value_in_force(patient, client_for, admin):
    response = post_rule(client_for(admin), AlertRule.objects.get(code="late_back_pain"), after_day="21")
    assert response.status_code == 302
    rule = AlertRule.objects.get(code="late_back_pain")
    assert "{after_day}" in rule.patient_message
    fired = rule_book_for_patient(patient.pk)
    from alerts import engine

    message = engine.Fired(fired.for_patient(patient.pk)["late_back_pain"]).patient_message()
    assert "more than 21 days after your procedure" in message
    assert rule.description.startswith("Back pain >= 3 on an entry after day 21.")


def test_the_patients_thresholds_page_describes_the_patients_own_value(client_for, clinician, patient):
    PatientThreshold.objects.create(
        patient=patient, rule=AlertRule.objects.get(code="fever"), value=Decimal("38.5"), set_by=clinician
    )
    html = client_for(clinician).get(f"/alerts/patients/{patient.pk}/thresholds/").content.decode()
    assert "Temperature at or above 38.5 °C (101.3 °F)" in html


# --- The admin form -------------------------------------------------------------------------------


def test_the_form_has_one_field_per_parameter_with_its_unit_and_bounds(client_for, admin):
    rule = AlertRule.objects.get(code="fever")
    html = client_for(admin).get(f"/admin/alerts/alertrule/{rule.pk}/change/").content.decode()
    assert 'name="temperature_c"' in html and 'name="first_day"' in html and 'name="last_day"' in html
    assert 'name="thresholds"' not in html  # no raw JSON to mistype
    assert "Fever from (°C)" in html and "Between 37.0 and 40.0 °C." in html
    assert "Temperature at or above 38.0 °C (100.4 °F)" in html  # the words, from the values
    assert rule_form(client_for(admin), rule)["temperature_c"] == "38.0"


def test_a_valid_edit_is_saved_with_its_fallback_and_its_words(client_for, admin):
    rule = AlertRule.objects.get(code="fever")
    response = post_rule(client_for(admin), rule, temperature_c="38.3", last_day="14")
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.thresholds == rule.last_valid_thresholds == {"temperature_c": 38.3, "first_day": 0, "last_day": 14}
    assert rule.description.startswith("Temperature at or above 38.3 °C (100.94 °F) on day 0 to 14")


# Each bad edit an admin can make: the form again (200) with the reason, nothing saved, never a 500.
BAD_EDITS = [
    ({"temperature_c": "45"}, "temperature_c"),
    ({"temperature_c": "36.9"}, "temperature_c"),
    ({"temperature_c": "abc"}, "temperature_c"),
    ({"temperature_c": ""}, "temperature_c"),
    ({"temperature_c": None}, "temperature_c"),  # the field left out of the post
    ({"temperature_c": "NaN"}, "temperature_c"),
    ({"temperature_c": "Infinity"}, "temperature_c"),
    ({"temperature_c": "1e999"}, "temperature_c"),
    ({"temperature_c": "38.123"}, "temperature_c"),
    ({"temperature_c": "9" * 500}, "temperature_c"),
    ({"first_day": "1.5"}, "first_day"),
    ({"first_day": "-1"}, "first_day"),
    ({"first_day": "22", "last_day": "21"}, "first_day"),
    ({"last_day": "\x00"}, "last_day"),
    ({"adjustable_threshold": "first_days"}, "adjustable_threshold"),
    ({"threshold_min": "36"}, "threshold_min"),  # outside the parameter's bounds
    ({"threshold_min": "39", "threshold_max": "38"}, "threshold_max"),
    ({"threshold_max": ""}, "threshold_max"),
    ({"threshold_min": "abc"}, "threshold_min"),
    ({"order": "99999999"}, "order"),
    ({"order": "-1"}, "order"),
    ({"severity": "critical"}, "severity"),
    ({"summary": ""}, "summary"),
    ({"patient_message": "Your temperature is {temprature}."}, "patient_message"),
    ({"patient_message": "Call {emergency_number now."}, "patient_message"),
    ({"clinician_message": "{0} {__class__}"}, "clinician_message"),
    ({"variant_severity": "unknown"}, "variant_severity"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_EDITS, ids=[f"{k}={v!r:.20}" for k, v in BAD_EDITS])
def test_no_bad_edit_is_saved_and_none_answers_500(client_for, admin, changes, field):
    rule = AlertRule.objects.get(code="fever")
    before = {f.name: getattr(rule, f.name) for f in AlertRule._meta.concrete_fields if f.name != "updated_at"}
    response = post_rule(client_for(admin), rule, **changes)
    assert response.status_code == 200
    html = response.content.decode()
    assert "errornote" in html
    assert f'id="id_{field}"' in html and "errorlist" in html
    rule.refresh_from_db()
    assert {f.name: getattr(rule, f.name) for f in AlertRule._meta.concrete_fields if f.name != "updated_at"} == before


def test_every_rule_form_opens_and_saves_unchanged(client_for, admin):
    client = client_for(admin)
    for rule in AlertRule.objects.all():
        response = post_rule(client, rule)
        assert response.status_code == 302, (rule.code, response.content.decode()[:2000])
        saved = AlertRule.objects.get(pk=rule.pk)
        assert check_thresholds(rule.code, saved.thresholds) == check_thresholds(rule.code, rule.thresholds)


def test_the_changelist_switch_keeps_working_beside_a_corrupted_row(client_for, admin):
    """The on/off switch of the list saves only ``enabled``: a rule corrupted elsewhere
    neither blocks it nor gets saved as valid."""
    client = client_for(admin)
    corrupt("fever", json.dumps({"temperature_c": "abc"}))
    response = client.get("/admin/alerts/alertrule/")
    html = response.content.decode()
    assert "NOT VALID: using the last valid values" in html
    parser = FormFields()
    parser.feed(html)
    data = {k: v for k, v in parser.data.items() if k.startswith("form-")}
    vomiting = AlertRule.objects.get(code="vomiting")
    row = next(k.rsplit("-", 1)[0] for k, v in data.items() if k.endswith("-id") and v == str(vomiting.pk))
    data.pop(f"{row}-enabled")  # unticked
    response = client.post("/admin/alerts/alertrule/", {**data, "_save": "Save"})
    assert response.status_code == 302
    assert AlertRule.objects.get(code="vomiting").enabled is False
    fever = AlertRule.objects.get(code="fever")
    assert fever.thresholds == {"temperature_c": "abc"} and fever.in_force().source == "last_valid"


# --- A row corrupted past the form --------------------------------------------------------------------


@pytest.mark.parametrize(
    "stored",
    [
        '{"temperature_c": "abc", "first_day": 0, "last_day": 21}',
        '{"temperature_c": 45, "first_day": 0, "last_day": 21}',
        '{"first_day": 0, "last_day": 21}',
        '"38"',
        "null",
        "[]",
    ],
)
def test_the_engine_runs_with_the_last_valid_values_and_admins_are_told(client_for, admin, stored, caplog):
    corrupt("fever", stored)
    rules = rule_book_for_patient(0).for_patient(0)
    assert rules["fever"].enabled and rules["fever"]["temperature_c"] == Decimal("38.0")
    assert [p.code for p in rule_problems()] == ["fever"]
    assert rule_problems()[0].source == "last_valid"
    html = client_for(admin).get("/admin/").content.decode()
    assert "Alert rule fever: its saved thresholds are not valid" in html
    page = client_for(admin).get(f"/admin/alerts/alertrule/{AlertRule.objects.get(code='fever').pk}/change/")
    assert "save it to repair the rule" in page.content.decode()
    assert any("alert rule fever" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


def test_a_rule_without_any_valid_values_does_not_run_and_says_so(client_for, admin, patient):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE alerts_alertrule SET thresholds = '{}'::jsonb, last_valid_thresholds = '{}'::jsonb,"
            " updated_at = now() WHERE code = 'severe_pain'"
        )
    rules = rule_book_for_patient(patient.pk).for_patient(patient.pk)
    assert rules["severe_pain"].enabled is False
    assert "the rule does not run until an admin saves it" in client_for(admin).get("/admin/").content.decode()
    # The diary still saves and evaluates every other rule.
    from tests.alerts.test_safety_net_defects import fired, post_entry

    assert "confusion" in fired(post_entry(client_for(patient.user), confusion=True, back_pain=9))
    # The admin repairs it: the form shows nothing to keep, asks for each value.
    rule = AlertRule.objects.get(code="severe_pain")
    response = post_rule(client_for(admin), rule, pain_score="7", after_day="2")
    assert response.status_code == 302
    assert rule_book_for_patient(patient.pk).for_patient(patient.pk)["severe_pain"].enabled
    assert rule_problems() == []


def test_no_admin_notice_without_a_problem(client_for, admin):
    assert "saved thresholds are not valid" not in client_for(admin).get("/admin/").content.decode()
