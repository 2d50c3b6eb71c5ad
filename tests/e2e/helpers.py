"""Plain helpers of the browser journeys: signing in, codes, reading what a person sees."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD

__all__ = ["TEST_PASSWORD", "invitation_path", "main_text", "sign_in", "totp_code"]


def totp_code(secret: str) -> str:
    """The current code of an authenticator app holding ``secret``.

    The server accepts only the current period's code (no tolerance): like a person
    who sees the app's timer about to run out, wait for the next code when fewer
    than 5 seconds are left, so the code cannot expire on its way to the server."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 5:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def invitation_path(mailbox, email: str) -> str:
    """The path of the one-time link in the invitation emailed to ``email``."""
    bodies = [message.body for message in mailbox if email in message.to]
    assert bodies, f"no email to {email}"
    match = re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", bodies[-1])
    assert match, "no invitation link in the email"
    return match.group(1)


def sign_in(page: Page, email: str, password: str = TEST_PASSWORD, *, totp_secret: str | None = None) -> None:
    """The sign-in page as a person uses it; with TOTP the code page follows."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret is not None:
        code = page.get_by_label(re.compile("code", re.IGNORECASE))
        expect(code).to_be_visible()
        code.fill(totp_code(totp_secret))
        page.get_by_role("button", name=re.compile("sign in|confirm|verify", re.IGNORECASE)).click()
    # Signed in: the account menu (name and role) is in the top bar.
    expect(page.locator("header details.usermenu summary")).to_be_visible()


def main_text(page: Page) -> str:
    """What the main part of the page says, whitespace collapsed."""
    return " ".join(page.locator("main").inner_text().split())


def use_session_of(person, user) -> None:
    """Sign ``person``'s browser in as ``user`` without the sign-in pages (for the
    supporting cast of a journey; each journey signs its own person in for real)."""
    from django.conf import settings
    from django.test import Client

    from tests.sessions import sign_in

    client = Client()
    sign_in(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    person.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": person.base_url}])


def path_of(page: Page) -> str:
    """The path (and query) of the page's address, for another person's browser."""
    from urllib.parse import urlsplit

    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
