"""``session_clock``: on a signed-in page, how many seconds the session has left, so
the page can warn two minutes before the idle time-out (issue 17: nothing typed is
lost). No query: the session is already loaded by the time-out middleware."""

from __future__ import annotations

from portal.accounts.sessions import seconds_left


def session_clock(request) -> dict:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None or not user.is_authenticated:
        return {}  # a page rendered outside a browser request (a chart panel, a test's RequestFactory)
    return {"session_seconds_left": seconds_left(session, user.role)}
