from django.urls import path

from alerts import api

urlpatterns = [
    path("alerts/", api.AlertListView.as_view(), name="api_alerts"),
    path("alerts/<int:alert_id>/", api.AlertDetailView.as_view(), name="api_alert"),
    path("alerts/<int:alert_id>/acknowledge/", api.AcknowledgeAlertView.as_view(), name="api_alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve/", api.ResolveAlertView.as_view(), name="api_alert_resolve"),
    path("patients/<int:patient_id>/thresholds/", api.ThresholdsView.as_view(), name="api_patient_thresholds"),
]
