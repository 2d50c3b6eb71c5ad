"""``/api/v1/`` routes of the patients app (API.md)."""

from django.urls import path

from patients import api, api_caregivers

urlpatterns = [
    path("patients/", api.PatientListView.as_view(), name="api_patients"),
    path("patients/<int:patient_id>/", api.PatientDetailView.as_view(), name="api_patient"),
    path("symptoms/", api.SymptomListView.as_view(), name="api_symptoms"),
    path("symptoms/trend/", api.SymptomTrendView.as_view(), name="api_symptom_trend"),
    path(
        "symptoms/<int:entry_id>/entered-in-error/",
        api.SymptomEnteredInErrorView.as_view(),
        name="api_symptom_entered_in_error",
    ),
    path("care-team/", api.CareTeamView.as_view(), name="api_care_team"),
    path("care-team/<int:grant_id>/", api.CareTeamGrantView.as_view(), name="api_care_team_grant"),
    path("medications/", api.MedicationListView.as_view(), name="api_medications"),
    path("pain-plan/", api.PainPlanView.as_view(), name="api_pain_plan"),
    path("access-log/", api.AccessLogView.as_view(), name="api_access_log"),
    path("caregivers/", api_caregivers.CaregiverListView.as_view(), name="api_caregivers"),
    path("caregivers/<int:grant_id>/", api_caregivers.CaregiverGrantView.as_view(), name="api_caregiver"),
    path("caregiving/", api_caregivers.CaregivingListView.as_view(), name="api_caregiving"),
    path("caregiving/<int:patient_id>/", api_caregivers.CaregivingDetailView.as_view(), name="api_caregiving_patient"),
]
