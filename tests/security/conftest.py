"""Fixtures of the security suite.

``world``: the full clinic of tests/security/world.py for one test.
``matrix_world``: the same clinic built once per module and rolled back at its end;
the permission matrix runs every request in a savepoint of its own on top of it.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.security.runner import session_cookies
from tests.security.world import build_world


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
