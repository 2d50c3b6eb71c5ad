"""Fixtures of the security suite.

``world``: the full clinic of tests/security/world.py for one test.
``matrix_world``: the same clinic built once per module and rolled back at its end;
the permission matrix runs every request in a savepoint of its own on top of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction
from hypothesis.configuration import set_hypothesis_home_dir

from tests.security.runner import session_cookies
from tests.security.world import build_world

# Hypothesis keeps caches (and would keep its example database, which the fuzz test
# turns off) in the working directory; keep them under var/ with the other run files.
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / "var" / "hypothesis")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (fixtures read ``rep_call``)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            yield world, session_cookies(world)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
