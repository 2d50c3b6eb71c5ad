"""Test settings: PostgreSQL and Redis on localhost (the CI machine runs both),
fixed test keys, the fast hasher, Django's locmem email (pytest-django)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault(
    "AFTERCARE_ENCRYPTION_KEYS",
    "test-2:dGVzdC1rZXktdHdvLTMyLWJ5dGVzLWxvbmctLS0tLS0,test-1:dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctLS0tLS0",
)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftercare")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("AFTERCARE_SITE_URL", "http://testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("AFTERCARE_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from portal.settings import *  # noqa: F403
from portal.settings import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Per-test cache (cleared by a fixture); the Redis-backed cache is exercised by its own test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "aftercare-tests"}}
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# No beat runs in the tests: the page-view check of the pipeline would show its banner
# everywhere. tests/portal/operations turn it on where they test it.
AFTERCARE_PIPELINE_PAGE_CHECK = False
