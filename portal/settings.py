"""Aftercare settings, read from the environment (API.md "Configuration").

The embedded default (``make run``) needs nothing: SQLite and a filesystem broker
under ``var/``, console email, a development encryption key generated on first use.
With ``DJANGO_DEBUG`` off, a missing secret key or encryption key stops start-up.
"""

from __future__ import annotations

import os
import sys
import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("AFTERCARE_VAR_DIR", default=str(BASE_DIR / "var")))
# The var folder holds the SQLite database, the development key, the file broker and
# cache: readable by the portal's own user only, whatever the umask.
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
VAR_DIR.chmod(0o700)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Django's debug pages for a missing page or an error (every URL listed, tracebacks):
# only when asked for, even under DJANGO_DEBUG (portal.middleware.FriendlyErrorPagesMiddleware).
DJANGO_DEBUG_PAGES = env.bool("DJANGO_DEBUG_PAGES", default=False)


def _required_outside_debug(name: str, development_value: str) -> str:
    """A secret from the environment; in debug a development value is allowed.

    Production refuses to start without it, with a one-line message naming it
    (sys.exit prints the message alone, not a traceback).
    """
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return development_value
    sys.exit(f"Aftercare cannot start: {name} is not set (required when DJANGO_DEBUG is off).")


SECRET_KEY = _required_outside_debug("DJANGO_SECRET_KEY", "django-insecure-development-only-key-not-for-production")
# It signs sessions, app tokens and password-reset links: a guessable one is refused
# (Django's own deploy check asks the same: 50 characters, 5 different ones at least).
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    sys.exit(
        "Aftercare cannot start: DJANGO_SECRET_KEY is too weak (use at least 50 characters, at least 5 different "
        'ones: python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )


def _development_encryption_keys() -> str:
    # Imported lazily: the crypto module reads settings itself.
    from portal.crypto import development_key_ring

    return development_key_ring(VAR_DIR / "development-encryption-key")


AFTERCARE_ENCRYPTION_KEYS = env.str("AFTERCARE_ENCRYPTION_KEYS", default="") or (
    _development_encryption_keys() if DEBUG else _required_outside_debug("AFTERCARE_ENCRYPTION_KEYS", "")
)


def _check_key_ring(text: str) -> None:
    # A malformed ring is found at start-up, not at the first lab upload. The message
    # names key ids at most, never key material.
    from portal.crypto import KeyRing, KeyRingError

    try:
        KeyRing.parse(text)
    except KeyRingError as exc:
        sys.exit(f"Aftercare cannot start: AFTERCARE_ENCRYPTION_KEYS is malformed: {exc}.")


_check_key_ring(AFTERCARE_ENCRYPTION_KEYS)

# How many proxies of the deployment's own stand in front of the app, each appending
# to X-Forwarded-For (portal.client_ip): 0 trusts no header (the socket's address).
AFTERCARE_TRUSTED_PROXIES = env.int("AFTERCARE_TRUSTED_PROXIES", default=0)
if AFTERCARE_TRUSTED_PROXIES < 0:
    sys.exit("Aftercare cannot start: AFTERCARE_TRUSTED_PROXIES must be 0 or more.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
AFTERCARE_SITE_URL = env.str("AFTERCARE_SITE_URL", default="http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [AFTERCARE_SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "portal",
    "portal.accounts",
    "portal.audit",
    "portal.outbox",
    "portal.clinic",
    "portal.operations",
    "patients",
    "messaging",
    "alerts",
    "labs",
    "interop",
    "quality",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.client_ip.ClientIPMiddleware",
    "portal.audit.middleware.AuditedReadsMiddleware",
    # Values a page works out once (the clinic, the day banner, inbox counts): portal.request_scope.
    "portal.request_scope.RequestScopeMiddleware",
    "portal.middleware.RequestBodyLimitMiddleware",
    "portal.middleware.RefuseNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.accounts.middleware.SessionTimeoutMiddleware",
    # Every time on a page in the reader's zone (after the session check: a signed-out reader gets UTC).
    "portal.middleware.ReaderTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.security_headers.PortalCSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.accounts.middleware.MFARequiredMiddleware",
    "portal.middleware.NoStoreMiddleware",
    # Under DJANGO_DEBUG: the portal's own 404 and 500 pages unless DJANGO_DEBUG_PAGES=true
    # (innermost, so every other middleware still sees the page it answers with).
    "portal.middleware.FriendlyErrorPagesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                # The idle time-out warning's countdown (seconds left in the session).
                "portal.accounts.context_processors.session_clock",
                "portal.operations.context_processors.pipeline",
                "portal.clinic.context_processors.triage_pool",
                # Patients' pages: their alerts until a clinician has seen them.
                "alerts.context_processors.patient_alert_banner",
                # Admin pages only: alert rules whose saved thresholds are not valid.
                "alerts.context_processors.admin_notices",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'aftercare.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _sqlite_file = Path(DATABASES["default"]["NAME"])
    if str(_sqlite_file) != ":memory:":
        # Created 0600 before SQLite opens it (its -wal and -shm files take the same
        # mode); an existing file is tightened to 0600 too.
        _sqlite_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(_sqlite_file, os.O_CREAT | os.O_WRONLY, 0o600))
        for _path in (_sqlite_file, Path(f"{_sqlite_file}-wal"), Path(f"{_sqlite_file}-shm")):
            if _path.exists():
                _path.chmod(0o600)
    # WAL and a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# --- Celery -----------------------------------------------------------------
# The embedded default is kombu's filesystem transport: a real broker with a real
# worker and beat, needing no server. Tests and production use Redis.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Broadcast (remote control) exchanges; kombu's default is ./control in the cwd.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: a crash re-runs them, never loses them
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Cache (allauth's rate limits and TOTP replay protection need a shared one) ----
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CELERY_BROKER_URL,
            "KEY_PREFIX": "aftercare-cache",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Email --------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Aftercare <no-reply@aftercare.local>")
EMAIL_TIMEOUT = 10
# The notification outbox (portal.outbox.tasks.deliver_notifications): retries with
# exponential backoff (base * 2**(attempt-1), capped), then "failed" (visible in admin).
# The cap bounds the wait after an SMTP outage ends: at most one capped interval plus
# the one-minute sweep (120 + 60 s; with a 3600 s cap a 5-minute outage took up to
# 300 s to clear, bench/faults/smtp_down.py). 30 attempts ride out about 55 minutes.
AFTERCARE_NOTIFICATION_MAX_ATTEMPTS = env.int("AFTERCARE_NOTIFICATION_MAX_ATTEMPTS", default=30)
AFTERCARE_NOTIFICATION_BACKOFF_SECONDS = env.int("AFTERCARE_NOTIFICATION_BACKOFF_SECONDS", default=30)
AFTERCARE_NOTIFICATION_BACKOFF_MAX_SECONDS = env.int("AFTERCARE_NOTIFICATION_BACKOFF_MAX_SECONDS", default=120)
AFTERCARE_NOTIFICATION_BATCH_SIZE = env.int("AFTERCARE_NOTIFICATION_BATCH_SIZE", default=100)
# A "sending" claim older than this belongs to a worker that died: another takes it over.
AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS = env.int("AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS", default=600)
# Alerts: an urgent alert nobody acknowledged within this time is emailed to the care team again.
AFTERCARE_ALERT_ESCALATION_MINUTES = env.int("AFTERCARE_ALERT_ESCALATION_MINUTES", default=15)
# The scan re-reads entries created in the last N seconds (rows commit out of id order).
AFTERCARE_SCAN_OVERLAP_SECONDS = env.int("AFTERCARE_SCAN_OVERLAP_SECONDS", default=120)

# --- Sessions: 30 minutes idle (15 for patients on shared phones), 12 hours absolute.
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
SESSION_SAVE_EVERY_REQUEST = False
AFTERCARE_SESSION_IDLE_SECONDS = {"patient": 15 * 60, "clinician": 30 * 60, "admin": 30 * 60}
AFTERCARE_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Flash messages ("Successfully signed in as <name>") are kept in the session, on the
# server: Django's default cookie storage signs them but sends them in clear.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- allauth ------------------------------------------------------------------
ACCOUNT_ADAPTER = "portal.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "portal.accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_RATE_LIMITS = {
    # The 6th failed sign-in for one account within 5 minutes is refused, a wrong
    # password and a wrong TOTP code alike. Per account only: a per-address bucket here
    # let people behind one NAT (a hospital's network) lock each other out of the TOTP step.
    "login_failed": "5/5m/key",
    # Password guessing across many accounts from one address (the trusted proxies'
    # client address, portal.client_ip): every sign-in attempt counts, 30 a minute.
    "login": "30/m/ip",
}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# No "remember me": a session ends with the browser (shared phones), and in any case
# after 30 minutes idle (15 for patients) or 12 hours.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Aftercare] "
# Open self-signup is off: a clinic enrols its patients and invites its clinicians.
AFTERCARE_OPEN_SIGNUP = env.bool("AFTERCARE_OPEN_SIGNUP", default=False)
MFA_ADAPTER = "portal.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Aftercare"
HEADLESS_CLIENTS = ("app", "browser")
# The app's X-Session-Token looked up with one read of the session (not exists() + load).
HEADLESS_TOKEN_STRATEGY = "portal.accounts.tokens.OneReadSessionTokenStrategy"  # noqa: S105 (a class path)
HEADLESS_SERVE_SPECIFICATION = False
HEADLESS_FRONTEND_URLS = {
    "account_reset_password_from_key": f"{AFTERCARE_SITE_URL}/accounts/password/reset/key/{{key}}/",
}

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a call with no credentials gets 401 with a challenge.
        "portal.accounts.api_auth.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Secure by default: every API view needs a signed-in user, and clinicians and
    # admins need MFA before any health data (views that return none opt out).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.permissions.MFARequiredForHealthData",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": [
        # DRF's parsers, refusing NUL characters in any text (PostgreSQL cannot store them).
        "portal.parsers.JSONParser",
        "portal.parsers.FormParser",
        "portal.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aftercare API",
    "DESCRIPTION": "Symptom diary, alerts, messaging and labs for recovery after a lumbar puncture.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several serializers have a "status" field with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "InboxItemStatusEnum": "messaging.models.InboxStatus",
        "InboxPriorityEnum": "messaging.models.InboxPriority",
        "LabRequestPriorityEnum": "labs.models.LabRequestPriority",
    },
}

# --- Uploads: each file at most 10 MB (a message takes 5); the whole request body at most
# AFTERCARE_MAX_REQUEST_BYTES (413 past it). Uploads stay in memory, never spooled to a
# temporary file in clear (portal/uploads.py); the form fields besides files stay under 11 MB.
AFTERCARE_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
AFTERCARE_MAX_REQUEST_BYTES = env.int("AFTERCARE_MAX_REQUEST_BYTES", default=51 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = AFTERCARE_MAX_REQUEST_BYTES
FILE_UPLOAD_HANDLERS = ["portal.uploads.MemoryOnlyUploadHandler"]
# A follow-up lab request is due for a clinician's review this many hours after it is made.
AFTERCARE_LAB_REQUEST_REVIEW_HOURS = env.float("AFTERCARE_LAB_REQUEST_REVIEW_HOURS", default=4)
# --- The clinic ---------------------------------------------------------------
# First values of the clinic's settings (portal.clinic); admins change them in Django admin.
AFTERCARE_CLINIC_NAME = env.str("AFTERCARE_CLINIC_NAME", default="Aftercare clinic")
AFTERCARE_CLINIC_PHONE = env.str("AFTERCARE_CLINIC_PHONE", default="")
AFTERCARE_EMERGENCY_NUMBER = env.str("AFTERCARE_EMERGENCY_NUMBER", default="911")
# Section 7 of CLINICAL.md: alerts that would reach nobody, and urgent escalations, go here.
AFTERCARE_ONCALL_EMAIL = env.str("AFTERCARE_ONCALL_EMAIL", default="")
AFTERCARE_CLINIC_TIME_ZONE = env.str("AFTERCARE_CLINIC_TIME_ZONE", default="UTC")
if AFTERCARE_CLINIC_TIME_ZONE not in zoneinfo.available_timezones():
    sys.exit(f"Aftercare cannot start: AFTERCARE_CLINIC_TIME_ZONE {AFTERCARE_CLINIC_TIME_ZONE!r} is not a time zone.")
if not AFTERCARE_EMERGENCY_NUMBER.isdigit():
    sys.exit("Aftercare cannot start: AFTERCARE_EMERGENCY_NUMBER must be digits only (for example 911 or 112).")
MEDIA_ROOT = Path(env.str("AFTERCARE_MEDIA_ROOT", default=str(VAR_DIR / "media")))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security headers ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp; portal/security_headers.py): every script,
# style, image and font from the project itself (no CDN, DESIGN.md), no inline
# script or event handler anywhere, no plugins, no framing, forms post to us only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # The container health check calls /healthz over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging: no health data, ever. Request bodies are never logged.
# One JSON object per line (AFTERCARE_LOG_FORMAT=plain for reading by eye); the
# request and task lines of portal/operations/logs.py come at INFO whatever the level.
AFTERCARE_LOG_FORMAT = env.str("AFTERCARE_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.operations.logs.JsonLines"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if AFTERCARE_LOG_FORMAT == "plain" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "aftercare.request": {"level": "INFO"},
        "aftercare.task": {"level": "INFO"},
    },
}

# --- Operations (portal/operations): readiness, the banner, metrics, request logs ----------
# /readyz answers 503, clinicians and admins see a banner and the on-call address gets an
# email once the scan has not run for this long or a notification has waited this long.
AFTERCARE_READY_SCAN_MAX_AGE_SECONDS = env.int("AFTERCARE_READY_SCAN_MAX_AGE_SECONDS", default=300)
AFTERCARE_READY_OUTBOX_MAX_AGE_SECONDS = env.int("AFTERCARE_READY_OUTBOX_MAX_AGE_SECONDS", default=600)
# A clinician's or admin's page view checks the pipeline (one query): the path that
# notices a dead beat without beat or worker. The test settings turn it off (no beat
# runs in tests); its own tests turn it on.
AFTERCARE_PIPELINE_PAGE_CHECK = env.bool("AFTERCARE_PIPELINE_PAGE_CHECK", default=True)
# /metrics answers only with "Authorization: Bearer <token>"; 404 while unset.
AFTERCARE_METRICS_TOKEN = env.str("AFTERCARE_METRICS_TOKEN", default="")
# First: times everything else; sets the request id. After authentication: the banner.
MIDDLEWARE.insert(0, "portal.operations.middleware.RequestObservabilityMiddleware")
MIDDLEWARE.append("portal.operations.middleware.PipelineBannerMiddleware")
if not DEBUG:
    # Probes and Prometheus call these over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT += [r"^readyz$", r"^metrics$"]
