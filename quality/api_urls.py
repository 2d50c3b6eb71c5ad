from django.urls import path

from quality import api

urlpatterns = [
    path("feedback/", api.FeedbackView.as_view(), name="api_feedback"),
    path("quality/", api.QualityView.as_view(), name="api_quality"),
]
