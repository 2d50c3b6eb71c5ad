"""Faults (e) and (f): a part of the alert pipeline stops; is it noticed, and cleared?

    .venv/bin/python bench/faults/stalled_pipeline.py --stop beat   [--down 360]   (e)
    .venv/bin/python bench/faults/stalled_pipeline.py --stop worker [--down 420]   (f)

Own database, Redis, SMTP catcher, gunicorn (2 workers), one worker and one beat,
with the on-call address set. Patients post a diary entry every few seconds (some
raise alerts) the whole time. Once ``/readyz`` answers 200 (the first scan ran), beat
is stopped (e: SIGTERM, as ``docker compose stop beat``) or the worker is killed with
SIGKILL and not restarted (f: the broker keeps its tasks). After ``--down`` seconds it
is started again.

Every 5 seconds an observer plays the people and the probes around the portal:
``/readyz`` (as a load balancer or Prometheus would), a clinician's home page in the
browser session (the banner) and the SMTP server's inbox (the on-call emails). The
observer is the only one who notices: no cron runs ``check_pipeline`` here.

Targets: (e) ``/readyz`` 503 within 5 minutes of the stop, (f) within 10; the banner
and exactly one "Alerts are delayed" email to the on-call address by then too; after
the restart ``/readyz`` 200, the banner gone and exactly one "on time again" email
within a minute. Exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import PYTHON, ROOT, SITE_HOST, diary_body, wait_until
from bench.faults.harness import FaultRun, say

ONCALL = "oncall@bench.test"
BANNER = "Alerts are delayed"
POLL = 5.0
LIMITS = {"beat": 300.0, "worker": 600.0}  # seconds from the stop to the 503 (the targets)
LETTER = {"beat": "e", "worker": "f"}


class Observer:
    """Polls readiness, the clinician's page and the on-call inbox; remembers when each
    first changed after ``since``."""

    def __init__(self, run: FaultRun, port: int, clinician_session: str) -> None:
        import httpx

        self.run = run
        self.http = httpx.Client(
            base_url=f"http://{SITE_HOST}:{port}",
            headers={"X-Forwarded-Proto": "https"},
            cookies={"sessionid": clinician_session},
            timeout=30,
            follow_redirects=False,
        )
        self.log: list[tuple[float, int, bool, int, int]] = []  # (time, readyz, banner, delayed, cleared)

    def look(self) -> tuple[int, bool, int, int]:
        ready = self.http.get("/readyz").status_code
        page = self.http.get("/")
        if page.status_code != 200:
            raise RuntimeError(f"the clinician's page answered {page.status_code}")
        banner = BANNER in page.text
        delayed, cleared = self.mails()
        self.log.append((time.monotonic(), ready, banner, delayed, cleared))
        return ready, banner, delayed, cleared

    def mails(self) -> tuple[int, int]:
        subjects = [subject for to, subject in self.run.smtp.messages() if ONCALL in to]
        return (
            sum("Alerts are delayed" in s for s in subjects),
            sum("Alerts are on time again" in s for s in subjects),
        )

    def first(self, since: float, test) -> float | None:
        for at, ready, banner, delayed, cleared in self.log:
            if at >= since and test(ready, banner, delayed, cleared):
                return at - since
        return None


def post_entries(patients, stop: threading.Event) -> None:
    """A diary entry every 3 seconds, one in five urgent, through the diary's service."""
    import django.db

    from patients.diary import submit_symptom_entry

    n = 0
    while not stop.wait(3.0):
        patient = patients[n % len(patients)]
        data = diary_body(back_pain=1, headache=2)
        if n % 5 == 0:
            data["numbness"] = True
        submit_symptom_entry(patient=patient, data=data, entered_by=patient.user)
        n += 1
    django.db.connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stop", choices=["beat", "worker"], required=True)
    parser.add_argument("--down", type=float, help="seconds stopped (default: beat 360, worker 420)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    down = args.down or (360.0 if args.stop == "beat" else 420.0)
    letter, limit = LETTER[args.stop], LIMITS[args.stop]
    name = f"{args.stop}_stopped"

    with FaultRun(name, settings={"AFTERCARE_ONCALL_EMAIL": ONCALL}, keep=args.keep) as run:
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        from bench.people import create_clinic
        from bench.signin import session_for

        clinic = create_clinic(prefix=name, patients=30, clinicians=2)
        clinician = clinic.clinicians[0]
        TOTP.activate(clinician, generate_totp_secret())
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=dict(run.env, DJANGO_SETTINGS_MODULE="bench.web_settings"),
            check=True,
        )
        port = run.web()
        worker = run.worker(supervised=False)
        beat = run.beat(supervised=False)
        observer = Observer(run, port, session_for(clinician))
        stop_posting = threading.Event()
        poster = threading.Thread(target=post_entries, args=(clinic.patients, stop_posting), daemon=True)
        poster.start()
        if not wait_until(lambda: observer.look()[0] == 200, timeout=180, interval=POLL):
            say(run, "/readyz never answered 200: the first scan did not run")
            return 2
        say(run, f"/readyz 200, no banner: {observer.look()}; stopping {args.stop} for {down:.0f} s")

        stopped_at = time.monotonic()
        if args.stop == "beat":
            beat.stop()  # SIGTERM, as `docker compose stop beat`
        else:
            worker.kill_group()  # SIGKILL, worker and pool: the container dies
        while time.monotonic() - stopped_at < down:
            ready, banner, delayed, cleared = observer.look()
            if int(time.monotonic() - stopped_at) % 60 < POLL:
                say(
                    run,
                    f"{args.stop} down {time.monotonic() - stopped_at:.0f} s: readyz {ready}, banner {banner}, "
                    f"on-call emails {delayed} delayed / {cleared} cleared",
                )
            time.sleep(POLL)

        restarted_at = time.monotonic()
        (beat if args.stop == "beat" else worker).start()
        say(run, f"{args.stop} started again")
        wait_until(lambda: observer.look()[:2] == (200, False) and observer.mails()[1] >= 1, timeout=180, interval=POLL)
        time.sleep(2 * POLL)
        observer.look()
        stop_posting.set()
        poster.join(30)

        went_503 = observer.first(stopped_at, lambda r, b, d, c: r == 503)
        banner_on = observer.first(stopped_at, lambda r, b, d, c: b)
        mailed = observer.first(stopped_at, lambda r, b, d, c: d >= 1)
        back_200 = observer.first(restarted_at, lambda r, b, d, c: r == 200)
        banner_off = observer.first(restarted_at, lambda r, b, d, c: not b)
        cleared_mail = observer.first(restarted_at, lambda r, b, d, c: c >= 1)
        delayed_total, cleared_total = observer.mails()
        early = observer.first(stopped_at, lambda r, b, d, c: r == 503 or b or d)

        def within(value: float | None, bound: float) -> bool:
            return value is not None and value <= bound

        def show(value: float | None) -> str:
            return "never" if value is None else f"{value:.0f} s"

        noticed_ok = within(went_503, limit) and within(banner_on, limit) and within(mailed, limit)
        # No alarm before the scan is really late (its last run was at most a minute before the stop).
        not_too_early = early is not None and early >= LIMITS["beat"] - 120
        cleared_ok = within(back_200, 60) and within(banner_off, 60) and within(cleared_mail, 60)
        once_ok = delayed_total == 1 and cleared_total == 1
        what = "beat stopped (SIGTERM)" if args.stop == "beat" else "worker killed -9, not restarted"
        figures = [
            {
                "name": f"({letter}) {what} {down:.0f} s: /readyz 503 / banner / on-call email after",
                "value": f"{show(went_503)} / {show(banner_on)} / {show(mailed)}",
                "unit": "from the stop (polled every 5 s)",
                "target": f"all within {limit / 60:.0f} min",
                "ok": noticed_ok and not_too_early,
            },
            {
                "name": f"({letter}) after the restart: /readyz 200 / banner gone / 'on time again' email",
                "value": f"{show(back_200)} / {show(banner_off)} / {show(cleared_mail)}",
                "unit": "from the restart",
                "target": "all within 1 min",
                "ok": cleared_ok,
            },
            {
                "name": f"({letter}) on-call emails: delayed / on time again",
                "value": f"{delayed_total} / {cleared_total}",
                "unit": "",
                "target": "1 / 1",
                "ok": once_ok,
            },
        ]
        run.report(letter, figures)
        return 0 if noticed_ok and not_too_early and cleared_ok and once_ok else 1


if __name__ == "__main__":
    sys.exit(main())
