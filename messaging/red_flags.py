"""Does a patient's message describe a red flag (CLINICAL.md section 8)?

The words are ``RedFlagTerm`` rows (seeded, edited by admins). A phrase matches as a
whole word or phrase, whatever the case, whatever the spacing, with a typographic
apostrophe read as a plain one (U+2019 in "can\u2019t" reads as "can't"). The answer is a yes or
no: which word matched is never stored or logged (it is health data).
"""

from __future__ import annotations

import re

from messaging.models import RedFlagTerm

APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalized(text: str) -> str:
    return " ".join((text or "").translate(APOSTROPHES).lower().split())


def phrase_pattern(phrases) -> re.Pattern | None:
    """One pattern for every phrase: whole words, any run of spaces between them."""
    parts = sorted({normalized(p) for p in phrases if normalized(p)}, key=len, reverse=True)
    if not parts:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in part.split(" ")) for part in parts)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])")


def mentions_red_flag(*texts: str) -> bool:
    """Whether any of ``texts`` (a subject, a body) mentions a red-flag word."""
    text = " ".join(normalized(t) for t in texts if t)
    if not text:
        return False
    pattern = phrase_pattern(RedFlagTerm.objects.values_list("phrase", flat=True))
    return bool(pattern and pattern.search(text))
