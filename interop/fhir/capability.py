"""``GET /fhir/R4/metadata``: the CapabilityStatement, naming exactly what is served."""

from __future__ import annotations

from interop.fhir import codes

EXPORTED = {
    "Procedure": "The lumbar puncture: SNOMED CT 277762005, needle type (usedCode) and gauge (extension).",
    "CareTeam": "The clinicians the patient granted access, each with the period of the grant.",
    "QuestionnaireResponse": "One per diary entry: the yes/no answers to Questionnaire/aftercare-diary.",
    "Observation": "Diary values (LOINC 8310-5 in Cel; 72514-3 with the body site) and lab values "
    "(LOINC, UCUM, reference range, interpretation).",
    "MedicationStatement": "One per logged dose, in mg.",
    "Flag": "One per alert, with the flag-priority extension.",
    "DiagnosticReport": "One per released lab report, its values as Observations.",
}


def capability_statement(published: str) -> dict:
    base = codes.server_base()
    resources = [
        {
            "type": "Patient",
            "documentation": "Only the $everything operation (no read or search): the patient themselves or a "
            "clinician of their care team (two-factor authentication).",
            "operation": [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    "documentation": "GET [base]/Patient/[id]/$everything. Parameters: _since (instant: records "
                    "changed since), _count (records per page, 1-1000, default 500; a record is never split), "
                    "_offset (records to skip; follow the Bundle's next link).",
                }
            ],
        },
        {
            "type": "Questionnaire",
            "interaction": [{"code": "read", "documentation": "Only Questionnaire/aftercare-diary (public)."}],
        },
    ]
    for name, what in EXPORTED.items():
        entry: dict = {"type": name, "documentation": f"Returned by Patient/$everything only. {what}"}
        if name in ("DiagnosticReport", "Observation"):
            entry["documentation"] += (
                " Accepted in a transaction Bundle (POST [base]): a DiagnosticReport and its Observations "
                "(LOINC, UCUM), subject Patient/[id]."
            )
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": published,
        "publisher": "Aftercare",
        "kind": "instance",
        "software": {"name": "Aftercare"},
        "implementation": {"description": "Aftercare FHIR R4 interface", "url": base},
        "fhirVersion": codes.FHIR_VERSION,
        "format": [codes.FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "JSON only. Errors are OperationOutcomes.",
                "security": {
                    "cors": False,
                    "description": "Patients and clinicians: the app session token (X-Session-Token, from "
                    "POST /_allauth/app/v1/auth/login) or the browser session; clinicians after two-factor "
                    "authentication. Lab systems: Authorization: Bearer <token> of an integration client an "
                    "admin created, for the transaction import only.",
                },
                "resource": resources,
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "POST [base]: a transaction Bundle of DiagnosticReports (each with an "
                        "identifier) and their Observations; each becomes an unreleased lab report for the care "
                        "team to review. All or nothing; a report sent again (same identifier) creates nothing.",
                    }
                ],
            }
        ],
    }
