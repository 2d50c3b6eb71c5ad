from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.alert_list, name="list"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="detail"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("alerts/<int:alert_id>/resolve/", views.resolve, name="resolve"),
    path("alerts/patients/<int:patient_id>/thresholds/", views.thresholds, name="thresholds"),
]
