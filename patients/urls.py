"""Pages of the patients app."""

from django.urls import path

from patients import caregiver_views, views

app_name = "patients"
urlpatterns = [
    path("diary/", views.diary, name="diary"),
    path("history/", views.history, name="history"),
    path("diary/<int:entry_id>/entered-in-error/", views.entry_entered_in_error, name="entered_in_error"),
    path("care-team/", views.care_team, name="care_team"),
    path("care-team/<int:grant_id>/revoke/", views.care_team_revoke, name="care_team_revoke"),
    path("access-log/", views.access_log_page, name="access_log"),
    path("caregivers/", caregiver_views.caregivers_page, name="caregivers"),
    path("caregivers/<int:grant_id>/", caregiver_views.caregiver_change, name="caregiver_change"),
    path("caregivers/<int:grant_id>/revoke/", caregiver_views.caregiver_revoke, name="caregiver_revoke"),
    path("caregiving/", caregiver_views.caregiving, name="caregiving"),
    path("caregiving/<int:patient_id>/emails/", caregiver_views.caregiving_emails, name="caregiving_emails"),
    path("pain-plan/", views.pain_plan, name="pain_plan"),
    path("pain-plan/health/", views.health_edit, name="health"),
    path("medications/", views.medications, name="medications"),
    path("settings/phone/", views.phone_edit, name="phone"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/enrol/", views.enrol, name="enrol"),
    path("patients/<int:patient_id>/", views.chart, name="chart"),
    path("patients/<int:patient_id>/health/", views.chart_health, name="chart_health"),
]
