"""A test-only URL map: the real one plus a tiny API view with the default permissions,
standing in for "any endpoint that returns health data"."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthDataProbe(APIView):
    """Default authentication and permissions, like every health-data endpoint."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/test-health-data/", HealthDataProbe.as_view()),
    path("", include("portal.urls")),
]


class NumbersProbe(APIView):
    """A list with the project's default pagination."""

    health_data = False

    def get(self, request):
        from rest_framework.settings import api_settings

        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(list(range(1, 121)), request, view=self)
        return paginator.get_paginated_response(page)


urlpatterns.insert(0, path("api/v1/test-numbers/", NumbersProbe.as_view()))
