"""``$everything``: one page of a patient's record as a FHIR searchset Bundle.

The caller has checked access (``interop.selectors.patient_for_export``) and audits the
read; this module only reads and builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.utils import timezone

from interop.fhir import codes
from interop.fhir.lab_resources import culture_observation, diagnostic_report, lab_observation
from interop.fhir.resources import (
    care_team_resource,
    diary_observations,
    flag_resource,
    instant,
    medication_statement,
    patient_resource,
    procedure_resource,
    questionnaire_response,
)
from interop.selectors import ExportScope, page_of, record_sections
from labs.presenters import culture_of

DEFAULT_COUNT = 500  # records per page: a whole record of a usual recovery in one page
MAX_COUNT = 1000


@dataclass(frozen=True)
class PageRequest:
    since: datetime | None
    count: int
    offset: int


def _imported_identifiers(report) -> list[dict]:
    imported = getattr(report, "fhir_import", None)  # the lab's own identifier, when it arrived by FHIR
    if imported is None:
        return []
    return [{"system": imported.identifier_system, "value": imported.identifier_value}]


def resources_of(name: str, row) -> list[dict]:
    """The FHIR resources of one record."""
    if name == "patient":
        return [patient_resource(row)]
    if name == "procedure":
        return [procedure_resource(row)]
    if name == "care_team":
        return [care_team_resource(row[0].patient_id, row)]
    if name == "entry":
        return [questionnaire_response(row, row.notes), *diary_observations(row)]
    if name == "dose":
        return [medication_statement(row)]
    if name == "alert":
        return [flag_resource(row)]
    if name == "lab_report":
        values = list(row.values.all())
        culture = culture_of(row)
        return [
            diagnostic_report(row, values, identifiers=_imported_identifiers(row), culture=culture),
            *(lab_observation(value, row) for value in values),
            *([culture_observation(culture, row)] if culture is not None else []),
        ]
    raise ValueError(name)


def _link(patient_id: int, page: PageRequest, offset: int) -> str:
    query = {"_count": page.count, "_offset": offset}
    if page.since is not None:
        query["_since"] = instant(page.since)
    return f"{codes.server_base()}/Patient/{patient_id}/$everything?{urlencode(query)}"


def everything(patient, scope: ExportScope, page: PageRequest) -> dict:
    sections = record_sections(patient, scope, since=page.since)
    rows, more = page_of(sections, offset=page.offset, count=page.count)
    base = codes.server_base()
    entries = []
    for name, row in rows:
        for resource in resources_of(name, row):
            entries.append(
                {
                    "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
            )
    links = [{"relation": "self", "url": _link(patient.pk, page, page.offset)}]
    if more:
        links.append({"relation": "next", "url": _link(patient.pk, page, page.offset + page.count)})
    if page.offset > 0:
        links.append({"relation": "previous", "url": _link(patient.pk, page, max(page.offset - page.count, 0))})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "link": links,
        "entry": entries,
    }
