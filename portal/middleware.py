from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Pages and API responses for a signed-in user may hold health data:
    never cache them (browser back button on a shared computer, proxies)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/static/") and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
