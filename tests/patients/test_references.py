"""Citations read as references (issue 17 point 5): title, publisher, year, a link when
public; every key the clinical data uses is known, so no page shows a bare key."""

from __future__ import annotations

import pytest

from alerts.models import AlertRule
from patients.models import Drug, MedicationPolicy, NonDrugOption, PainPlanCondition
from patients.references import REFERENCES, references_for

pytestmark = pytest.mark.django_db


def test_every_key_the_clinical_data_uses_is_a_readable_reference():
    keys = set()
    for model, field in (
        (Drug, "citation"),
        (MedicationPolicy, "citation"),
        (PainPlanCondition, "citation"),
        (NonDrugOption, "citation"),
        (AlertRule, "citation_key"),
    ):
        for text in model.objects.values_list(field, flat=True):
            keys.update(reference.key for reference in references_for(text))
    assert keys, "the migrations seed cited rows"
    assert keys <= set(REFERENCES), f"keys without a reference: {sorted(keys - set(REFERENCES))}"


def test_keys_split_on_slashes_and_commas_and_come_once():
    refs = references_for(["APAP / IBU / FDACAF", "ACOG462, APAP"])
    assert [r.key for r in refs] == ["APAP", "IBU", "FDACAF", "ACOG462"]
    assert refs[2].publisher == "U.S. Food and Drug Administration" and refs[2].url.startswith("https://www.fda.gov/")


def test_the_pain_plan_shows_references_not_keys(client_for, patient):
    page = client_for(patient.user).get("/pain-plan/").content.decode()
    assert "Sources:" not in page and "FDACAF" not in page
    assert "Spilling the beans: how much caffeine is too much?" in page
