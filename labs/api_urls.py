from django.urls import path

from labs import api

urlpatterns = [
    path("lab-reports/", api.LabReportListView.as_view(), name="api_lab_reports"),
    path("lab-reports/<int:pk>/", api.LabReportDetailView.as_view(), name="api_lab_report"),
    path("lab-reports/<int:pk>/file/", api.LabReportFileView.as_view(), name="api_lab_report_file"),
    path("lab-reports/<int:pk>/release/", api.LabReportReleaseView.as_view(), name="api_lab_report_release"),
    path(
        "lab-reports/<int:pk>/entered-in-error/",
        api.LabReportEnteredInErrorView.as_view(),
        name="api_lab_report_entered_in_error",
    ),
    path("blood-cultures/", api.BloodCultureListView.as_view(), name="api_blood_cultures"),
    path("lab-requests/", api.LabRequestListView.as_view(), name="api_lab_requests"),
    path("lab-requests/prefill/", api.LabRequestPrefillView.as_view(), name="api_lab_request_prefill"),
    path("lab-requests/<int:pk>/", api.LabRequestDetailView.as_view(), name="api_lab_request"),
    path("lab-requests/<int:pk>/review/", api.LabRequestReviewView.as_view(), name="api_lab_request_review"),
]
