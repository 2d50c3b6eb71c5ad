from __future__ import annotations

import pytest

from tests.factories import ClinicianFactory


@pytest.fixture
def quality_lead(db):
    """A clinician an admin marked *quality*, on nobody's care team."""
    return ClinicianFactory(email="quality.lead@example.test", is_quality=True)
