"""Settings for ``screenshot_patients.py`` only: the development settings plus a
middleware that signs the headless browser in (Chromium's command line cannot
set a cookie). Never used by the application or the test suite."""

import os

from portal.settings import *  # noqa: F403
from portal.settings import MIDDLEWARE

MIDDLEWARE = ["tests.e2e.patients_screenshot_settings.ScreenshotSessionCookie", *MIDDLEWARE]


class ScreenshotSessionCookie:
    """Sends the session key written by the screenshot script as the session cookie
    of a request that has none (the headless browser's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = os.environ.get("SCREENSHOT_SESSION_FILE", "")
        if path and "sessionid" not in request.COOKIES and os.path.exists(path):
            with open(path) as handle:
                key = handle.read().strip()
            if key:
                request.COOKIES["sessionid"] = key
        return self.get_response(request)
