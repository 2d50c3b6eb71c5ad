"""Content-Security-Policy: django-csp's middleware with the portal's one exception.

The policy itself is ``CONTENT_SECURITY_POLICY`` in settings: everything from the
project's own origin, no inline script anywhere, no framing. Two third-party pages
carry one inline ``<style>`` block each (Django admin's change list, the Swagger UI
page of /api/docs/); there, and only there, inline *styles* are allowed. Scripts
stay strict everywhere (tests/security/test_headers.py checks every template and
every rendered page for inline scripts and event handlers).
"""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

INLINE_STYLE_PREFIXES = ("/admin/", "/api/docs/")


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path.startswith(INLINE_STYLE_PREFIXES):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        return parts
