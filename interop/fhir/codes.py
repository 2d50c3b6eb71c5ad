"""The code systems and addresses the FHIR interface speaks, in one place.

Standard terminologies by their canonical URLs; the portal's own codes (analytes,
alert rules, needle types, drugs) under ``<site>/fhir/CodeSystem/...``, so a
receiving system can tell them from LOINC and SNOMED CT.
"""

from __future__ import annotations

from django.conf import settings

FHIR_VERSION = "4.0.1"  # served as R4; the models that check it are fhir.resources' R4B (4.3.0), see README
FHIR_JSON = "application/fhir+json"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
REFERENCE_RANGE_MEANING = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY = "http://terminology.hl7.org/CodeSystem/flag-priority-code"

# The lumbar puncture (SNOMED CT): "Lumbar puncture (procedure)"; the portal's
# procedures are diagnostic taps, which the Procedure's text says.
LUMBAR_PUNCTURE = ("277762005", "Lumbar puncture")
# The diary's observations (LOINC) and where the pain is (SNOMED CT body structures).
BODY_TEMPERATURE = ("8310-5", "Body temperature")
PAIN_SEVERITY = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
HEAD = ("69536005", "Head structure")
LOWER_BACK = ("37822005", "Lower back structure")
CELSIUS = "Cel"
# A blood culture: the result is the organism identified, or no growth (SNOMED CT).
BLOOD_CULTURE = ("600-7", "Bacteria identified in Blood by Culture")
NO_GROWTH = ("264868006", "No growth")

# A flag's priority (HL7 flag-priority-code) by the alert's severity.
FLAG_PRIORITIES = {
    "urgent": ("PH", "High priority"),
    "contact_provider": ("PM", "Medium priority"),
    "info": ("PL", "Low priority"),
}
# A lab value's flag as an HL7 interpretation.
INTERPRETATIONS = {"low": ("L", "Low"), "normal": ("N", "Normal"), "high": ("H", "High")}

QUESTIONNAIRE_ID = "aftercare-diary"


def site_fhir_base() -> str:
    """``<site>/fhir``: the root of the portal's own code systems and extensions."""
    return settings.AFTERCARE_SITE_URL.rstrip("/") + "/fhir"


def server_base() -> str:
    """``<site>/fhir/R4``: the server's base, for full URLs and links."""
    return site_fhir_base() + "/R4"


def local_system(name: str) -> str:
    """A code system of the portal's own: ``analyte``, ``alert-rule``, ``needle-type``, ..."""
    return f"{site_fhir_base()}/CodeSystem/{name}"


def extension_url(name: str) -> str:
    return f"{site_fhir_base()}/StructureDefinition/{name}"


def questionnaire_url() -> str:
    return f"{server_base()}/Questionnaire/{QUESTIONNAIRE_ID}"
