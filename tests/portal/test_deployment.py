"""Deployment: docker-compose.yml, `check --deploy`, and start-up refusing to run
without its secrets. These start Django in a subprocess with a production-like
environment, so nothing from the test settings leaks in."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"

# Every variable the settings need in production (API.md "Configuration").
REQUIRED = [
    "DJANGO_SECRET_KEY",
    "AFTERCARE_ENCRYPTION_KEYS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "DJANGO_ALLOWED_HOSTS",
    "AFTERCARE_SITE_URL",
    "DJANGO_DEBUG",
]


def encryption_keys() -> str:
    return (
        "k2:"
        + base64.urlsafe_b64encode(os.urandom(32)).decode()
        + ",k1:"
        + base64.urlsafe_b64encode(os.urandom(32)).decode()
    )


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "AFTERCARE_ENCRYPTION_KEYS": encryption_keys(),
        "DJANGO_ALLOWED_HOSTS": "aftercare.example.org",
        "AFTERCARE_SITE_URL": "https://aftercare.example.org",
        "DATABASE_URL": "postgres://aftercare:secret@db.invalid:5432/aftercare",
        "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
        "EMAIL_URL": "smtp+tls://user:password@smtp.invalid:587",
        "AFTERCARE_VAR_DIR": str(tmp_path / "var"),
    }
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def python(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    env = {**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


# --- check --deploy ----------------------------------------------------------------------------


def test_check_deploy_prints_no_warnings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "AFTERCARE_ENCRYPTION_KEYS"])
def test_debug_off_without_a_secret_stops_with_one_line_naming_it(tmp_path, variable):
    result = manage(production_env(tmp_path, **{variable: None}), "check")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "AFTERCARE_ENCRYPTION_KEYS"])
def test_an_empty_secret_counts_as_missing(tmp_path, variable):
    result = manage(production_env(tmp_path, **{variable: ""}), "check")
    assert result.returncode != 0
    assert variable in result.stderr


@pytest.mark.parametrize(
    "weak",
    ["short-key", "a" * 64, "abcd" * 20, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["too-short", "one-character", "four-characters", "django-insecure"],
)
def test_a_weak_secret_key_stops_start_up_without_echoing_it(tmp_path, weak):
    result = manage(production_env(tmp_path, DJANGO_SECRET_KEY=weak), "check")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "DJANGO_SECRET_KEY is too weak" in lines[0], result.stderr
    assert weak not in result.stderr


def test_a_weak_secret_key_is_allowed_in_debug(tmp_path):
    env = production_env(tmp_path, DJANGO_SECRET_KEY="short-key", DJANGO_DEBUG="true")
    assert manage(env, "check").returncode == 0


def test_a_malformed_key_ring_stops_start_up(tmp_path):
    result = manage(production_env(tmp_path, AFTERCARE_ENCRYPTION_KEYS="k1:not-a-key"), "check")
    assert result.returncode != 0
    assert "AFTERCARE_ENCRYPTION_KEYS" in result.stderr
    assert "not-a-key" not in result.stderr  # key material is never echoed


def test_production_settings(tmp_path):
    result = python(
        production_env(tmp_path),
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.CACHES['default']['BACKEND'], s.DATABASES['default']['ENGINE'], "
        "s.EMAIL_BACKEND, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.core.cache.backends.redis.RedisCache",
        "django.db.backends.postgresql",
        "django.core.mail.backends.smtp.EmailBackend",
        "True",
        "True",
        "['aftercare.example.org']",
    ]


def test_embedded_default_needs_no_server(tmp_path):
    """What `make run` gets: SQLite with WAL in var/, the filesystem broker, a file
    cache for the rate limits, console email, and a generated development key."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_DEBUG": "true",
        "AFTERCARE_VAR_DIR": str(tmp_path / "var"),
    }
    result = python(
        env,
        "import django; django.setup(); from django.conf import settings as s; from django.db import connection; "
        "connection.ensure_connection(); c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print(s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND, "
        "s.DATABASES['default']['OPTIONS']['transaction_mode'], c.fetchone()[0]); "
        "from portal.crypto import current_key_ring; print(current_key_ring().newest_id)",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # The first start says that it made a development key.
    assert any("generated a development encryption key" in line for line in lines), result.stdout
    settings_line, key_id = lines[-2], lines[-1]
    assert settings_line.split() == [
        "filesystem://localhost//",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.mail.backends.console.EmailBackend",
        "IMMEDIATE",
        "wal",
    ]
    assert (tmp_path / "var" / "development-encryption-key").exists()
    assert (tmp_path / "var" / "broker" / "out").is_dir()
    # A second start reuses the same development key, quietly.
    again = python(
        env,
        "import django; django.setup(); from portal.crypto import current_key_ring; print(current_key_ring().newest_id)",
    )
    assert again.stdout.strip() == key_id


def test_the_embedded_database_and_var_folder_are_private(tmp_path):
    """The SQLite file (and its WAL) 0600, the var folder 0700, whatever the umask:
    before, a default umask left the patients' database readable by every local user."""
    var = tmp_path / "var"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root"), "DJANGO_DEBUG": "true"}
    env["AFTERCARE_VAR_DIR"] = str(var)
    code = (
        "import os; os.umask(0o022); import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('CREATE TABLE probe (n int)'); c.execute('INSERT INTO probe VALUES (1)'); "
        # The WAL exists while a connection is open (SQLite removes it at the last close).
        "print(oct(os.stat(connection.settings_dict['NAME'] + '-wal').st_mode & 0o777))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    mode = lambda path: oct(path.stat().st_mode & 0o777)  # noqa: E731
    assert mode(var) == "0o700"
    assert mode(var / "aftercare.sqlite3") == "0o600"
    assert result.stdout.split()[-1] == "0o600"  # the WAL, while it exists
    # An existing, looser folder and file are tightened at the next start.
    var.chmod(0o755)
    (var / "aftercare.sqlite3").chmod(0o644)
    assert python(env, "import django; django.setup()").returncode == 0
    assert mode(var) == "0o700" and mode(var / "aftercare.sqlite3") == "0o600"


# --- docker-compose.yml ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} and ${VAR:?error}, as if the operator set the secrets."""

    def replace(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if op == ":-":
            return rest
        return {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "AFTERCARE_ENCRYPTION_KEYS": encryption_keys()}.get(
            name, "set"
        )

    return re.sub(r"\$\{([A-Z_]+)(:[-?])?([^}]*)\}", replace, value)


ONE_SHOT = {"migrate"}  # runs to completion; the long-running services wait for it


def test_compose_has_every_service(compose):
    assert {"migrate", "web", "worker", "beat", "postgres", "redis", "mailpit"} <= set(compose["services"])
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        assert "healthcheck" in service, name
        assert service.get("restart") == "unless-stopped", name


def test_compose_migrates_as_the_owner_and_runs_as_the_app_role(compose):
    """SECURITY.md: the owner role runs migrations only; the app's role owns nothing."""
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"].index("migrate --noinput") < migrate["command"].index("grant_app_role aftercare_app")
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://aftercare:")
    assert services["postgres"]["environment"]["POSTGRES_USER"] == "aftercare"
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://aftercare_app:"), name
        assert "POSTGRES_PASSWORD" not in str(environment), f"{name} must not hold the owner's password"
        assert "migrate" not in services[name]["command"].split(), name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_commands(compose):
    services = compose["services"]
    web = services["web"]["command"]
    assert "collectstatic --noinput" in web
    assert "gunicorn portal.wsgi:application" in web
    assert services["worker"]["command"].startswith("celery -A portal worker")
    assert "-B" not in services["worker"]["command"].split()  # beat runs once, as its own service
    assert services["beat"]["command"].startswith("celery -A portal beat")
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").exists()
    assert services["redis"]["image"].startswith("redis:")
    assert services["postgres"]["image"].startswith("postgres:")
    assert "mailpit" in services["mailpit"]["image"]


def test_compose_app_services_wait_for_healthy_dependencies(compose):
    services = compose["services"]
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_compose_sets_every_required_variable(compose, service):
    environment = compose["services"][service]["environment"]
    for name in REQUIRED:
        assert name in environment, f"{service} lacks {name}"
        assert str(environment[name]).strip(), f"{service}: {name} is empty"
    assert str(environment["DJANGO_DEBUG"]).lower() == "false"
    # Secrets are never written into the file: compose refuses to start without them.
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert environment["AFTERCARE_ENCRYPTION_KEYS"].startswith("${AFTERCARE_ENCRYPTION_KEYS:?")
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert "mailpit:1025" in environment["EMAIL_URL"]


def test_compose_environment_passes_check_deploy(compose, tmp_path):
    environment = {key: interpolate(str(value)) for key, value in compose["services"]["web"]["environment"].items()}
    environment["AFTERCARE_VAR_DIR"] = str(tmp_path / "var")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root"), **environment}
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


# --- Operations: the pipeline's health check, nightly backups, metrics ----------------------


def test_beat_is_unhealthy_while_the_pipeline_is_late(compose):
    test = " ".join(compose["services"]["beat"]["healthcheck"]["test"])
    assert "python manage.py check_pipeline" in test
    assert "celerybeat-schedule" in test, "and beat still writes its schedule"


def test_a_nightly_backup_service_writes_to_its_own_volume(compose):
    backup = compose["services"]["backup"]
    script = " ".join(backup["command"])
    assert "python manage.py backup /backups/" in script
    assert "sleep" in script and "9000" in script  # waits for 02:30 UTC (9,000 s after midnight)
    assert "aftercare-backups:/backups" in backup["volumes"]
    assert "aftercare-backups" in compose["volumes"]
    # The keys are not in the backup volume: they come from the environment (.env) only.
    assert backup["environment"]["AFTERCARE_ENCRYPTION_KEYS"].startswith("${AFTERCARE_ENCRYPTION_KEYS:?")
    assert "manifest.json" in " ".join(backup["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "postgresql-client" in dockerfile, "pg_dump and pg_restore are in the image"
    assert "/backups" in dockerfile, "the volume's folder belongs to the image's user"


def test_the_backup_schedule_sleeps_until_half_past_two_utc(compose):
    """The compose loop's own arithmetic, run by sh with the clock at a few moments."""
    script = " ".join(compose["services"]["backup"]["command"])
    expression = re.search(r"sleep (\$\$\(\(.*?\)\));", script).group(1)
    expression = expression.replace("$$(date -u +%s)", "$NOW").replace("$$", "$")
    for now, expected in ((0, 9000), (9000, 0), (9001, 86399), (86400 + 3600, 5400)):
        done = subprocess.run(["sh", "-c", f"NOW={now}; echo {expression}"], capture_output=True, text=True)
        assert int(done.stdout) == expected, (now, expression, done.stderr)


def test_the_metrics_token_reaches_the_app_services(compose):
    for name in ("web", "worker", "beat", "backup"):
        assert compose["services"][name]["environment"]["AFTERCARE_METRICS_TOKEN"] == "${AFTERCARE_METRICS_TOKEN:-}"


def test_readiness_and_backup_restore_on_the_embedded_sqlite_default(tmp_path):
    """The embedded default (make run) is SQLite: the status query and the online
    backup API work there too."""
    code = """
import django, json
django.setup()
from datetime import timedelta
from pathlib import Path
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from portal.operations.backup import backup, restore
from portal.operations.models import Heartbeat
from portal.operations.pipeline import pipeline_status, record_heartbeat
call_command("migrate", verbosity=0)
call_command("seed_demo", stdout=open("/dev/null", "w"))
record_heartbeat(name="scan", duration_s=0.1, now=timezone.now() - timedelta(minutes=12, seconds=5))
status = pipeline_status()
manifest = backup(Path(r"{folder}"), write=lambda line: None)
connection.close()
Path(r"{db}").unlink()
report = restore(Path(r"{folder}"), write=lambda line: None)
print(json.dumps({{"sentence": status.delay_sentence(), "ok": status.ok, "rows": report.rows,
                  "manifest_rows": sum(manifest["tables"].values()), "opened": report.sealed_opened}}))
""".format(folder=tmp_path / "backup", db=tmp_path / "var" / "aftercare.sqlite3")
    env = production_env(tmp_path, DJANGO_DEBUG="true", DATABASE_URL=None, CELERY_BROKER_URL=None, EMAIL_URL=None)
    result = python(env, code)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["sentence"] == "Alerts are delayed: the last scan ran 12 minutes ago"
    assert found["ok"] is False
    assert found["rows"] == found["manifest_rows"] > 50
    assert found["opened"] >= 3, "the demo's sealed messages opened after the restore"
