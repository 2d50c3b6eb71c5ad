"""``seed_demo``'s patients: Pat on day 2 with a fever spike, Sam on day 8; idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from patients.models import SymptomEntry
from patients.selectors import care_team_of, day_since_procedure, latest_procedure
from patients.trend import symptom_trend
from portal.accounts.models import User


def test_seed_demo_patients(db):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # twice: idempotent
    pat = User.objects.get(email="patient@aftercare.example").patient
    sam = User.objects.get(email="sam@aftercare.example").patient
    assert day_since_procedure(latest_procedure(pat)) == 2
    assert day_since_procedure(latest_procedure(sam)) == 8
    pat_entries = SymptomEntry.objects.filter(patient=pat)
    assert pat_entries.count() == 9
    assert max(e.temperature_c for e in pat_entries if e.temperature_c) == Decimal("38.40")
    # Nothing before the procedure minus one day.
    assert min(e.recorded_at for e in pat_entries) >= latest_procedure(pat).performed_at - timedelta(days=1)
    assert symptom_trend(pat, days=7).spikes  # the headache rises are marked
    assert SymptomEntry.objects.filter(patient=sam).count() >= 16
    assert max(e.temperature_c or 0 for e in SymptomEntry.objects.filter(patient=sam)) < Decimal("38")
    assert {u.email for u in care_team_of(pat)} == {
        "neurologist@aftercare.example",
        "anesthesiologist@aftercare.example",
    }
    assert {u.email for u in care_team_of(sam)} == {"neurologist@aftercare.example"}
