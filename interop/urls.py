"""``/fhir/R4/``: the FHIR interface (API.md, Interoperability)."""

from django.urls import path

from interop import views

urlpatterns = [
    path("", views.ImportView.as_view(), name="fhir_import"),
    path("metadata", views.CapabilityView.as_view(), name="fhir_metadata"),
    path("Questionnaire/<str:questionnaire_id>", views.QuestionnaireView.as_view(), name="fhir_questionnaire"),
    path("Patient/<str:patient_id>/$everything", views.EverythingView.as_view(), name="fhir_everything"),
]
