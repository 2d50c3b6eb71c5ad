"""The diary's yes/no questions are defined once (``patients.questions``); every
other place that lists them is checked against that definition here."""

from __future__ import annotations

import dataclasses

from alerts.engine import Reading
from interop.fhir.resources import questionnaire
from patients.forms import SymptomForm
from patients.models import SymptomEntry
from patients.questions import QUESTIONS, SHORT_LABELS, YES_NO_FIELDS
from patients.serializers import SymptomEntryInputSerializer


def test_each_question_is_defined_once_with_its_words():
    fields = [q.field for q in QUESTIONS]
    assert len(fields) == len(set(fields)) == len(YES_NO_FIELDS) == 14
    assert set(YES_NO_FIELDS) == set(fields)
    assert all(q.text.endswith("?") and q.hint and q.short for q in QUESTIONS)
    assert {q.field: q.short for q in QUESTIONS} == SHORT_LABELS


def test_the_model_stores_exactly_the_questions():
    booleans = [f.name for f in SymptomEntry._meta.get_fields() if f.get_internal_type() == "BooleanField"]
    assert booleans == list(YES_NO_FIELDS)
    later = {q.field for q in QUESTIONS if q.added_later}
    assert {name for name in YES_NO_FIELDS if SymptomEntry._meta.get_field(name).null} == later


def test_the_rule_engine_reads_exactly_the_questions():
    booleans = [f.name for f in dataclasses.fields(Reading) if f.type in (bool, "bool")]
    assert booleans == list(YES_NO_FIELDS)


def test_the_api_form_and_questionnaire_ask_exactly_the_questions():
    api = SymptomEntryInputSerializer().fields
    assert [name for name in api if name in YES_NO_FIELDS] == list(YES_NO_FIELDS)
    assert all(api[name].required for name in YES_NO_FIELDS)
    assert [field.name for field in SymptomForm().question_fields()] == [q.field for q in QUESTIONS]
    published = [item["linkId"] for item in questionnaire()["item"] if item["type"] == "boolean"]
    assert published == [q.field for q in QUESTIONS]
