"""The diary's yes/no questions (CLINICAL.md section 1), defined once: each field
with its question, its one-line hint and its short label, in the order the diary
asks them. The model, the API, the form, the pages, the FHIR Questionnaire, the
rule engine, the bench and the tests all import them from here.

Kept free of Django imports so the pure rule engine can use it too. Every question
must be answered (an unanswered red-flag question is never recorded as "no");
``seizure`` and ``rash`` came later: entries from before hold None for them (not asked).
"""

from __future__ import annotations

from typing import NamedTuple


class Question(NamedTuple):
    field: str
    text: str  # the question, in plain words
    hint: str  # one line under it
    short: str  # in a list of what an entry said yes to
    added_later: bool = False  # asked since CLINICAL.md of 2026-12-05: None on earlier entries


QUESTIONS: tuple[Question, ...] = (
    Question(
        "positional_headache",
        "Is your headache worse when you sit or stand, and better when you lie flat?",
        "It eases when you lie down and comes back when you get up.",
        short="headache worse upright",
    ),
    Question(
        "radiating_leg_pain",
        "Does pain shoot down one or both legs?",
        "A burning or electric pain that goes below the knee.",
        short="pain down the legs",
    ),
    Question(
        "numbness",
        "Are your legs, feet, bottom or groin numb or tingling?",
        "New loss of feeling or pins and needles.",
        short="numbness",
    ),
    Question(
        "leg_weakness",
        "Are your legs weak?",
        "For example, trouble standing up, walking or climbing stairs.",
        short="leg weakness",
    ),
    Question(
        "bladder_bowel_change",
        "Any new trouble passing or holding urine or stool?",
        "You cannot pee, or you leak urine or stool when you did not before.",
        short="bladder or bowel change",
    ),
    Question(
        "site_redness",
        "Is the needle spot on your back red, warm or swollen?",
        "Look at or gently feel the small wound on your lower back.",
        short="redness at the needle spot",
    ),
    Question(
        "site_drainage",
        "Is anything leaking from the needle spot?",
        "Pus, clear fluid or blood on the dressing or your clothes.",
        short="leaking from the needle spot",
    ),
    Question(
        "neck_stiffness",
        "Is your neck stiff?",
        "It hurts to bend your chin down to your chest.",
        short="stiff neck",
    ),
    Question(
        "confusion",
        "Are you very drowsy, hard to wake or confused?",
        "Someone with you may notice this before you do; they can answer for you.",
        short="drowsy or confused",
    ),
    Question(
        "seizure",
        "Have you had a fit or seizure since your last entry?",
        "Shaking or jerking you could not stop, or passing out. Someone with you may have seen it.",
        short="seizure",
        added_later=True,
    ),
    Question(
        "rash",
        "Do you have a new rash of spots or bruise-like marks that do not fade when you press a glass on them?",
        "Press the side of a clear glass firmly on the marks: answer yes if you can still see them through it.",
        short="rash that does not fade",
        added_later=True,
    ),
    Question(
        "vomiting",
        "Have you vomited more than once?",
        "Being sick again and again, not just feeling sick.",
        short="vomiting",
    ),
    Question(
        "vision_change",
        "Has your eyesight changed?",
        "Blurred or double vision, or light hurts your eyes.",
        short="eyesight change",
    ),
    Question(
        "took_fever_reducer",
        "Have you taken acetaminophen (paracetamol) or ibuprofen in the last 6 hours?",
        "These lower a temperature, so a fever can read lower than it is.",
        short="took a fever reducer",
    ),
)

# The stored order (the model's, the API's): the first questions, then those added later.
YES_NO_FIELDS: tuple[str, ...] = tuple(q.field for q in QUESTIONS if not q.added_later) + tuple(
    q.field for q in QUESTIONS if q.added_later
)
SHORT_LABELS: dict[str, str] = {q.field: q.short for q in QUESTIONS}
