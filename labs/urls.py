from django.urls import path

from labs import views

app_name = "labs"
urlpatterns = [
    path("labs/", views.index, name="index"),
    path("labs/reports/<int:pk>/", views.report_detail, name="report"),
    path("labs/reports/<int:pk>/file/", views.report_file, name="report_file"),
    path("labs/reports/<int:pk>/release/", views.report_release, name="report_release"),
    path("labs/reports/<int:pk>/entered-in-error/", views.report_entered_in_error, name="report_entered_in_error"),
    path("labs/upload/", views.upload_start, name="upload_start"),
    path("labs/patients/<int:patient_id>/upload/", views.upload_report, name="upload"),
    path("labs/requests/new/", views.request_new, name="request_new"),
    path("labs/requests/<int:pk>/", views.request_detail, name="request"),
    path("labs/requests/<int:pk>/culture/", views.culture_new, name="culture_new"),
]
