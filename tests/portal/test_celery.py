"""The Celery app: JSON only, late acknowledgement, time limits, and a beat schedule
whose every task exists."""

from __future__ import annotations

from django.conf import settings

from portal.celery import app


def test_json_only_and_late_acknowledgement():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit


def test_broker_comes_from_the_settings():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert settings.CELERY_BROKER_URL.startswith("redis://")  # tests, like production, use Redis


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert "clear-expired-sessions" in schedule
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names an unknown task {entry['task']}"


def test_clear_expired_sessions_task(db):
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from portal.tasks import clear_expired_sessions

    old = SessionStore()
    old.set_expiry(1)
    old.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=timezone.now() - timedelta(days=1))
    fresh = SessionStore()
    fresh.create()
    clear_expired_sessions()  # runs in-process: the task takes no arguments and is idempotent
    clear_expired_sessions()
    assert not Session.objects.filter(session_key=old.session_key).exists()
    assert Session.objects.filter(session_key=fresh.session_key).exists()
