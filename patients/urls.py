"""Pages of the patients app."""

from django.urls import path

from patients import views

app_name = "patients"
urlpatterns = [
    path("diary/", views.diary, name="diary"),
    path("history/", views.history, name="history"),
    path("diary/<int:entry_id>/entered-in-error/", views.entry_entered_in_error, name="entered_in_error"),
    path("care-team/", views.care_team, name="care_team"),
    path("care-team/<int:grant_id>/revoke/", views.care_team_revoke, name="care_team_revoke"),
    path("access-log/", views.access_log_page, name="access_log"),
    path("pain-plan/", views.pain_plan, name="pain_plan"),
    path("pain-plan/health/", views.health_edit, name="health"),
    path("medications/", views.medications, name="medications"),
    path("settings/phone/", views.phone_edit, name="phone"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/enrol/", views.enrol, name="enrol"),
    path("patients/<int:patient_id>/", views.chart, name="chart"),
    path("patients/<int:patient_id>/health/", views.chart_health, name="chart_health"),
]
