"""The real portal's URLs plus the bench-only baselines under ``/bench/``."""

from django.urls import include, path

from bench import baseline

urlpatterns = [
    path("bench/symptoms/", baseline.insert_symptom_entry),
    path("bench/symptoms/history/", baseline.symptom_history),
    path("bench/inbox/", baseline.inbox_first_page),
    path("", include("portal.urls")),
]
