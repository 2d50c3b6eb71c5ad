"""The app's session tokens (``X-Session-Token``), read in one query."""

from __future__ import annotations

from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.contrib.sessions.backends.base import SessionBase


class OneReadSessionTokenStrategy(SessionTokenStrategy):
    """allauth's session token strategy, looking the session up with one read instead
    of ``exists()`` then a load: every call of the app API (each diary entry) starts
    with it. allauth's own ``sessionkit.lookup_session``: a missing or expired session
    clears its key, and the token is refused as before."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return sessionkit.lookup_session(session_token)
