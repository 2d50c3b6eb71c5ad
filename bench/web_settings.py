"""Settings of the benchmarked web tier: the production settings (``portal.settings``,
driven by the environment bench/common.py sets) plus the bench URLconf, which adds the
baseline views of ``bench/baseline.py`` next to the real portal. Nothing else changes,
so the real endpoints and their baselines run through the same middleware."""

from portal.settings import *  # noqa: F403
from portal.settings import VAR_DIR

ROOT_URLCONF = "bench.web_urls"
# collectstatic for the HTML pages goes under the run's var folder, not the project's.
STATIC_ROOT = VAR_DIR / "staticfiles"
