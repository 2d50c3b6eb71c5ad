"""Phone-width screenshots of the patients pages, for a person to look at.

    .venv/bin/python tests/e2e/screenshot_patients.py      (or: make screenshots)

1. Builds a throw-away demo clinic (SQLite in a temporary folder): accounts and
   the patients app's demo (Pat on day 2 with a fever spike, Sam on day 8).
2. Starts ``manage.py runserver`` on a spare port with settings that sign the
   browser in through a session key written to a file.
3. Drives Debian's headless Chromium at 390x844 (an iPhone 12-14 viewport) with a
   fresh profile per shot, and also a tall shot of each page to read the whole of it.
4. Saves the diary's "entry saved" page (posted through Django's test client,
   since a command-line browser cannot submit a form) and shoots it the same way.

PNG files land in tests/e2e/screenshots/ (ignored by git).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = (390, 844)
TALL = (390, 3200)


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shoot(url: str, name: str, size: tuple[int, int]) -> Path:
    target = OUT / f"{name}.png"
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "--virtual-time-budget=4000",
                f"--screenshot={target}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"  {target.relative_to(ROOT)}")
    return target


def main() -> int:
    if not Path(CHROMIUM).exists():
        print("Chromium is missing: apt-get install -y chromium", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="aftercare-shots-"))
    port = spare_port()
    session_file = work / "session"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.patients_screenshot_settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "AFTERCARE_VAR_DIR": str(work),
        "AFTERCARE_SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SCREENSHOT_SESSION_FILE": str(session_file),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sessions, ids = prepare_demo()

    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 -- our own local server
                break
            except OSError:
                time.sleep(0.2)
        shots = [
            ("patient", "/diary/", "diary-form"),
            ("patient", "/history/?days=7", "trend-7-days"),
            ("patient", "/history/", "history"),
            ("patient", "/", "patient-home"),
            ("patient", "/care-team/", "care-team"),
            ("patient", "/pain-plan/", "pain-plan"),
            ("patient", "/medications/", "medications"),
            ("patient", "/access-log/", "access-log"),
            ("recovering", "/history/?days=14", "trend-recovering-14-days"),
            ("clinician", "/patients/", "clinician-patient-list"),
            ("clinician", f"/patients/{ids['patient']}/", "clinician-chart"),
        ]
        print("Screenshots:")
        for who, path, name in shots:
            session_file.write_text(sessions[who])
            shoot(base + path, f"{name}-390x844", PHONE)
            shoot(base + path, f"{name}-tall", TALL)
        saved = saved_entry_page(base, work)
        session_file.write_text(sessions["patient"])
        shoot(saved.as_uri(), "diary-saved-390x844", PHONE)
        shoot(saved.as_uri(), "diary-saved-tall", TALL)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def prepare_demo() -> tuple[dict[str, str], dict[str, int]]:
    """Demo accounts and patients; a signed-in session for each persona."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import is_mfa_enabled
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from patients import demo as patients_demo
    from portal.demo import seed_accounts

    accounts = seed_accounts()
    patients_demo.seed(accounts)
    clinician = accounts["neurologist"]
    if not is_mfa_enabled(clinician):
        TOTP.activate(clinician, generate_totp_secret())
    sessions = {}
    for key, user in (
        ("patient", accounts["patient"]),
        ("recovering", accounts["recovering_patient"]),
        ("clinician", clinician),
    ):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions[key] = store.session_key
    return sessions, {"patient": accounts["patient"].patient.pk}


def saved_entry_page(base: str, work: Path) -> Path:
    """Post a diary entry as Pat (a fever with a positional headache) and keep the page."""
    from django.test import Client

    from portal.accounts.models import User

    client = Client()
    from tests.sessions import sign_in

    sign_in(client, User.objects.get(email="patient@aftercare.example"))
    data = {"back_pain": "3", "headache": "6", "temperature": "100.9", "temperature_unit": "F", "notes": ""}
    from patients.questions import YES_NO_FIELDS

    data.update(dict.fromkeys(YES_NO_FIELDS, "no"))
    data["positional_headache"] = "yes"
    response = client.post("/diary/", data, HTTP_HOST="127.0.0.1")
    html = response.content.decode().replace("<head>", f'<head><base href="{base}/">', 1)
    page = work / "diary-saved.html"
    page.write_text(html)
    return page


if __name__ == "__main__":
    raise SystemExit(main())
