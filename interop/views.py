"""The FHIR R4 endpoints (``/fhir/R4/``): thin DRF views that parse, call the selectors
and services, and answer FHIR JSON. Every error is an OperationOutcome.

- ``GET metadata``: the CapabilityStatement (public, no data).
- ``GET Questionnaire/aftercare-diary``: the diary's questions (public, no data).
- ``GET Patient/<id>/$everything``: the patient or a care-team clinician (MFA), audited.
- ``POST`` (the base): a transaction Bundle of lab results, from a care-team clinician
  (MFA) or a lab system's token.
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, renderers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from interop import selectors, services
from interop.auth import ClinicianOrLabSystem, IntegrationClientAuthentication, SignedInOrLabSystem, lab_system_of
from interop.export import DEFAULT_COUNT, MAX_COUNT, PageRequest, everything
from interop.fhir import codes
from interop.fhir.capability import capability_statement
from interop.fhir.lab_bundle import BundleRefused, Problem
from interop.fhir.resources import instant, questionnaire
from portal.accounts.api_auth import SessionTokenAuthentication
from portal.api import exception_handler as api_exception_handler
from portal.audit.services import audit_read
from portal.parsers import JSONParser
from portal.permissions import IsPatientClinicianOrCaregiver, MFARequiredForHealthData

CAPABILITY_PUBLISHED = "2026-12-05"


class FHIRRenderer(renderers.JSONRenderer):
    media_type = codes.FHIR_JSON
    format = "fhir"
    charset = "utf-8"


class JSONRenderer(renderers.JSONRenderer):
    charset = "utf-8"


class FHIRParser(JSONParser):
    media_type = codes.FHIR_JSON


def operation_outcome(problems: list[Problem]) -> dict:
    issues = []
    for problem in problems:
        issue = {"severity": "error", "code": problem.code, "diagnostics": problem.message}
        if problem.expression:
            issue["expression"] = [problem.expression]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


# An HTTP error as an OperationOutcome issue type.
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 413: "too-costly", 415: "not-supported", 429: "throttled"}  # fmt: skip


def _words(data) -> str:
    if isinstance(data, dict):
        if "detail" in data:
            return str(data["detail"])
        return " ".join(f"{key}: {_words(value)}" for key, value in data.items() if key != "code")
    if isinstance(data, list):
        return " ".join(_words(item) for item in data)
    return str(data)


def fhir_exception_handler(exc, context):
    """The API's handler (the same statuses and words), its answer as an OperationOutcome.
    ``mfa_required`` is the issue's details code, as the API's ``code`` is."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    issue: dict = {
        "severity": "error",
        "code": ISSUE_TYPES.get(response.status_code, "exception"),
        "diagnostics": _words(response.data),
    }
    if isinstance(response.data, dict) and response.data.get("code") == "mfa_required":
        issue["code"] = "security"
        issue["details"] = {
            "coding": [{"system": codes.local_system("error"), "code": "mfa_required"}],
            "text": issue["diagnostics"],
        }
    response.data = {"resourceType": "OperationOutcome", "issue": [issue]}
    return response


class FHIRView(APIView):
    # Not in the OpenAPI schema of /api/v1/: a FHIR server describes itself in FHIR,
    # with the CapabilityStatement of GET /fhir/R4/metadata.
    schema = None
    renderer_classes = [FHIRRenderer, JSONRenderer]
    parser_classes = [FHIRParser, JSONParser]

    def get_exception_handler(self):
        return fhir_exception_handler


class CapabilityView(FHIRView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    health_data = False

    def get(self, request):
        return Response(capability_statement(CAPABILITY_PUBLISHED))


class QuestionnaireView(FHIRView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    health_data = False

    def get(self, request, questionnaire_id: str):
        if questionnaire_id != codes.QUESTIONNAIRE_ID:
            raise Http404
        return Response(questionnaire())


def _since(raw: str | None) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise exceptions.ValidationError({"_since": ["Give an instant with its time zone, e.g. 2026-11-23T08:00:00Z."]})
    return moment


def _whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise exceptions.ValidationError({name: [f"Use a whole number from {low} to {high}."]})
    return value


class EverythingView(FHIRView):
    """The patient's record as a searchset Bundle (Patient/$everything)."""

    # A caregiver exports too: interop.selectors.export_scope_for decides what of the
    # record their grant allows.
    permission_classes = [SignedInOrLabSystem, MFARequiredForHealthData, IsPatientClinicianOrCaregiver]

    def get(self, request, patient_id: str):
        page = PageRequest(
            since=_since(request.query_params.get("_since")),
            count=_whole(request.query_params.get("_count"), "_count", DEFAULT_COUNT, 1, MAX_COUNT),
            offset=_whole(request.query_params.get("_offset"), "_offset", 0, 0, 10**9),
        )
        patient = selectors.patient_for_export(request.user, patient_id)
        scope = selectors.export_scope_for(request.user, patient)
        bundle = everything(patient, scope, page)
        audit_read(user=request.user, patient_id=patient.pk, request=request, action="fhir.everything.read")
        return Response(bundle)


def transaction_response(imported: list[services.ImportedReport]) -> dict:
    """One response entry per request entry, in the request's order."""
    answers: dict[int, dict] = {}
    for result in imported:
        report, incoming = result.report, result.incoming
        status = "201 Created" if result.created else "200 OK"
        answers[incoming.entry] = {
            "status": status,
            "location": f"DiagnosticReport/lab-report-{report.pk}",
            "lastModified": instant(report.uploaded_at),
        }
        stored = {value.analyte.code: value.pk for value in report.values.select_related("analyte")}
        by_loinc = {value.analyte.loinc_code: value.pk for value in report.values.select_related("analyte")}
        for value in incoming.values:
            value_id = by_loinc.get(value.loinc) if value.loinc else None
            value_id = value_id or stored.get(value.local_code or "")
            answer = {"status": status}
            if value_id is not None:
                answer["location"] = f"Observation/lab-value-{value_id}"
            answers[value.entry] = answer
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": answers[index]} for index in sorted(answers)],
    }


class ImportView(FHIRView):
    """``POST /fhir/R4/``: lab results in a transaction Bundle."""

    authentication_classes = [
        IntegrationClientAuthentication,
        SessionTokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [SignedInOrLabSystem, MFARequiredForHealthData, ClinicianOrLabSystem]

    def post(self, request):
        client = lab_system_of(request)
        sender = services.Sender(client=client) if client is not None else services.Sender(user=request.user)
        try:
            imported = services.import_lab_bundle(raw=request.data, sender=sender, request=request)
        except BundleRefused as refused:
            return Response(operation_outcome(refused.problems), status=refused.status)
        return Response(transaction_response(imported))
