"""Released lab reports as DiagnosticReport + Observation (no queries: the reports come
with their values and analytes loaded).

Each value is the analyte's LOINC code (when it has one) and the portal's own analyte
code, the stored value in the analyte's unit with its UCUM code, the range it was
flagged against (its words too: "below 10 mg/L" says what a FHIR range cannot, that
the limit itself is outside), the flag as an HL7 interpretation, and the plain-language
explanation the patient reads. The report's file is linked, not embedded: downloading
it is its own audited act (``/api/v1/lab-reports/<id>/file/``).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from interop.fhir import codes
from interop.fhir.resources import coding, concept, instant, latest, number, subject
from labs.presenters import culture_words, flag_words, range_words, value_sentence


def analyte_code(analyte) -> dict:
    codings = []
    if analyte.loinc_code:
        codings.append(coding(codes.LOINC, analyte.loinc_code, analyte.loinc_display))
    codings.append(coding(codes.local_system("analyte"), analyte.code, analyte.name))
    return concept(*codings, text=analyte.name)


def quantity(value, analyte) -> dict:
    found = {"value": number(value), "unit": analyte.unit, "system": codes.UCUM}
    if analyte.ucum_unit:
        found["code"] = analyte.ucum_unit
    return found


def lab_observation(value, report) -> dict:
    analyte = value.analyte
    resource = {
        "resourceType": "Observation",
        "id": f"lab-value-{value.pk}",
        "status": "final",
        "category": [concept(coding(codes.OBSERVATION_CATEGORY, "laboratory", "Laboratory"))],
        "code": analyte_code(analyte),
        "subject": subject(report.patient_id),
        "effectiveDateTime": instant(report.collected_at),
        "issued": instant(report.released_at),
        "valueQuantity": quantity(value.value, analyte),
        "note": [{"text": f"{value_sentence(value)} {analyte.explanation}".strip()}],
    }
    if value.flag:
        code, display = codes.INTERPRETATIONS[value.flag]
        resource["interpretation"] = [concept(coding(codes.INTERPRETATION, code, display), text=flag_words(value)[0])]
    if value.ref_low is not None or value.ref_high is not None:
        reference: dict = {
            "type": concept(coding(codes.REFERENCE_RANGE_MEANING, "normal", "Normal Range")),
            "text": range_words(value),
        }
        if value.ref_low is not None:
            reference["low"] = quantity(value.ref_low, analyte)
        if value.ref_high is not None:
            reference["high"] = quantity(value.ref_high, analyte)
        resource["referenceRange"] = [reference]
    if value.computed:
        resource["method"] = {"text": "Computed by the portal from the CSF and blood glucose of this report"}
    return resource


def culture_observation(result, report) -> dict:
    """A blood culture reading as LOINC 600-7: the organism as the lab named it (text),
    or SNOMED CT "no growth"; preliminary until the 5-day reading."""
    words = culture_words(result)
    if result.no_growth:
        value = concept(coding(codes.SNOMED, *codes.NO_GROWTH), text=result.clinician_text)
    else:
        value = {"text": result.organism}
    return {
        "resourceType": "Observation",
        "id": f"blood-culture-{report.pk}",
        "status": "final" if result.is_final else "preliminary",
        "category": [concept(coding(codes.OBSERVATION_CATEGORY, "laboratory", "Laboratory"))],
        "code": concept(coding(codes.LOINC, *codes.BLOOD_CULTURE), text="Blood culture"),
        "subject": subject(report.patient_id),
        "effectiveDateTime": instant(report.collected_at),
        "issued": instant(report.released_at),
        "valueCodeableConcept": value,
        "note": [{"text": f"{words.headline} {words.detail}"}],
    }


def diagnostic_report(report, values, *, identifiers: list[dict], culture=None) -> dict:
    kind = report.get_kind_display()
    resource = {
        "resourceType": "DiagnosticReport",
        "id": f"lab-report-{report.pk}",
        "meta": {"lastUpdated": instant(latest(report.uploaded_at, report.released_at))},
        "identifier": [
            {"system": f"{codes.site_fhir_base()}/lab-report", "value": str(report.pk)},
            *identifiers,
        ],
        "status": "final",
        "category": [concept(coding(codes.DIAGNOSTIC_SERVICE, "LAB", "Laboratory"))],
        "code": concept(coding(codes.local_system("lab-report-kind"), report.kind, kind), text=f"{kind} report"),
        "subject": subject(report.patient_id),
        "effectiveDateTime": instant(report.collected_at),
        "issued": instant(report.released_at),
        "result": [{"reference": f"Observation/lab-value-{value.pk}"} for value in values],
    }
    if culture is not None:
        resource["status"] = "final" if culture.is_final else "preliminary"
        resource["category"].append(concept(coding(codes.DIAGNOSTIC_SERVICE, "MB", "Microbiology")))
        resource["code"] = concept(coding(codes.LOINC, *codes.BLOOD_CULTURE), text="Blood culture")
        resource["result"] = [{"reference": f"Observation/blood-culture-{report.pk}"}]
        resource["conclusion"] = culture.clinician_text
    if report.has_file:
        file_url = settings.AFTERCARE_SITE_URL.rstrip("/") + reverse("api_lab_report_file", args=[report.pk])
        resource["presentedForm"] = [
            {"contentType": report.content_type, "url": file_url, "title": f"{kind} report (the file as received)"}
        ]
    return resource
