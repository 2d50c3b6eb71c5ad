"""Session lifetime: idle timeout per role and a 12-hour absolute limit.

Used by the browser middleware and by the API's session-token authentication,
so both front ends expire the same way.
"""

from __future__ import annotations

import time

from django.conf import settings

STARTED = "aftercare_session_started"
LAST_SEEN = "aftercare_session_last_seen"


def mark_session_started(session, *, now: float | None = None) -> None:
    """Start the clocks at sign-in (browser and app sessions alike)."""
    now = time.time() if now is None else now
    session[STARTED] = now
    session[LAST_SEEN] = now


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        mark_session_started(session)


def session_is_fresh(session, role: str, *, now: float | None = None) -> bool:
    """Check and refresh a session's timestamps; False means it has expired."""
    now = time.time() if now is None else now
    started = session.get(STARTED)
    last_seen = session.get(LAST_SEEN)
    if started is None:
        # A session from before this check existed (or a test's force_login): start now.
        mark_session_started(session, now=now)
        return True
    idle_limit = settings.AFTERCARE_SESSION_IDLE_SECONDS.get(role, 15 * 60)
    if now - started > settings.AFTERCARE_SESSION_ABSOLUTE_SECONDS:
        return False
    if last_seen is not None and now - last_seen > idle_limit:
        return False
    # Write at most once a minute: every request touching the session row costs a write.
    if last_seen is None or now - last_seen > 60:
        session[LAST_SEEN] = now
    return True


def seconds_left(session, role: str, *, now: float | None = None) -> int:
    """Seconds before this session ends if nothing else happens: the idle limit from
    the last request the server counted, or the absolute limit, whichever comes first.
    The page's time-out warning counts down from it (portal/static/portal/aftercare.js)."""
    now = time.time() if now is None else now
    started = session.get(STARTED, now)
    last_seen = session.get(LAST_SEEN, now)
    idle_limit = settings.AFTERCARE_SESSION_IDLE_SECONDS.get(role, 15 * 60)
    left = min(last_seen + idle_limit, started + settings.AFTERCARE_SESSION_ABSOLUTE_SECONDS) - now
    return max(0, int(left))


def keep_alive(session, *, now: float | None = None) -> None:
    """ "Stay signed in": count this moment as activity (the middleware writes the
    timestamp at most once a minute; the warning needs the full idle time back)."""
    session[LAST_SEEN] = time.time() if now is None else now
