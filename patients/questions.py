"""The diary's yes/no questions (CLINICAL.md section 1), in one place.

Kept free of Django imports so the pure rule engine can use it too. Every question
must be answered (an unanswered red-flag question is never recorded as "no");
``seizure`` and ``rash`` came later: entries from before hold None for them (not asked).
"""

YES_NO_FIELDS = (
    "positional_headache",
    "radiating_leg_pain",
    "numbness",
    "leg_weakness",
    "bladder_bowel_change",
    "site_redness",
    "site_drainage",
    "neck_stiffness",
    "confusion",
    "vomiting",
    "vision_change",
    "took_fever_reducer",
    "seizure",
    "rash",
)
