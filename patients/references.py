"""The sources behind the clinical content (CLINICAL.md "Citation keys"), as a patient
reads them: title, publisher, year and a link when the source is public, never a key.

Rules and pain-plan policies store keys ("APAP / IBU", "PDPH23, ACOG462"); templates
turn them into references with ``{{ keys|references }}`` (patients_ui)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    key: str
    title: str
    publisher: str
    year: str = ""
    url: str = ""


REFERENCES: dict[str, Reference] = {
    r.key: r
    for r in (
        Reference(
            "PDPH23",
            "Consensus practice guidelines on postdural puncture headache (Uppal and others)",
            "Regional Anesthesia & Pain Medicine",
            "2024",
        ),
        Reference(
            "ICHD3",
            "International Classification of Headache Disorders, 3rd edition (7.2.1 and 7.2.2)",
            "International Headache Society",
            "2018",
            "https://ichd-3.org/",
        ),
        Reference(
            "UKMEN",
            "UK guideline on the diagnosis and management of acute meningitis in adults (McGill and others)",
            "Journal of Infection",
            "2016",
        ),
        Reference(
            "WHITELEY",
            "Cerebrospinal fluid opening pressure: reference interval (Whiteley and others)",
            "Neurology",
            "2006",
        ),
        Reference(
            "BODILSEN",
            "Lumbar puncture and spinal haematoma in people with and without coagulopathy (Bodilsen and others)",
            "JAMA",
            "2020",
        ),
        Reference(
            "IDSA15",
            "Guidelines for native vertebral osteomyelitis in adults (Berbari and others)",
            "Infectious Diseases Society of America, Clinical Infectious Diseases",
            "2015",
        ),
        Reference("FARRAR", "Clinical importance of changes in pain intensity (Farrar and others)", "Pain", "2001"),
        Reference("MILLER", "Simple rule for calculating the normal ESR (Miller and others)", "BMJ", "1983"),
        Reference(
            "APAP",
            "Acetaminophen: the Drug Facts label on over-the-counter packs",
            "U.S. Food and Drug Administration",
            "",
            "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=acetaminophen",
        ),
        Reference(
            "IBU",
            "Ibuprofen: the Drug Facts label on over-the-counter packs",
            "U.S. Food and Drug Administration",
            "",
            "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=ibuprofen",
        ),
        Reference(
            "FDACAF",
            "Spilling the beans: how much caffeine is too much?",
            "U.S. Food and Drug Administration",
            "",
            "https://www.fda.gov/consumers/consumer-updates/spilling-beans-how-much-caffeine-too-much",
        ),
        Reference(
            "ACOG462",
            "Moderate caffeine consumption during pregnancy (Committee Opinion 462)",
            "American College of Obstetricians and Gynecologists",
            "2010",
        ),
        Reference(
            "COCHRANE_PF",
            "Posture and fluids for preventing post-dural puncture headache (Arevalo-Rodriguez and others)",
            "Cochrane Library",
            "2016",
        ),
        Reference("LEAFLETS", "Hospital discharge instructions after a lumbar puncture", "Hospital patient leaflets"),
    )
}


def references_for(keys) -> list[Reference]:
    """Each key once, in order; a key the table does not know is shown as itself
    (it is still a source, and a test lists every key the data uses)."""
    if isinstance(keys, str):
        keys = [keys]
    found: list[Reference] = []
    for text in keys or []:
        for key in re.split(r"[\s,/;]+", str(text)):
            if not key:
                continue
            reference = REFERENCES.get(key.upper(), Reference(key, key, ""))
            if reference not in found:
                found.append(reference)
    return found
