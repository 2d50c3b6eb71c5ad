from django.urls import path

from quality import views

app_name = "quality"
urlpatterns = [
    path("feedback/", views.feedback, name="feedback"),
    path("quality/", views.quality_page, name="page"),
    path("quality/<slug:figure>.csv", views.quality_csv, name="csv"),
]
