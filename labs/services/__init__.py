"""Every write of the labs app, one module a concern: ``reports`` (uploading,
receiving, releasing and correcting reports, opening a report's file), ``cultures``
(blood culture results typed in) and ``requests`` (follow-up lab requests and their
review). Other apps and the views import the public services from here."""

from labs.services.cultures import enter_blood_culture
from labs.services.reports import (
    INTEGRITY_MESSAGE,
    OpenedFile,
    ReportFileDamaged,
    mark_report_entered_in_error,
    open_report_file,
    receive_lab_report,
    release_lab_report,
    upload_lab_report,
)
from labs.services.requests import request_labs, review_lab_request

__all__ = [
    "INTEGRITY_MESSAGE",
    "OpenedFile",
    "ReportFileDamaged",
    "enter_blood_culture",
    "mark_report_entered_in_error",
    "open_report_file",
    "receive_lab_report",
    "release_lab_report",
    "request_labs",
    "review_lab_request",
    "upload_lab_report",
]
