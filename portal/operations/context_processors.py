"""``pipeline_delay``: the banner's sentence, set by ``PipelineBannerMiddleware`` on a
clinician's or admin's page view while alerts are late (empty otherwise)."""

from __future__ import annotations


def pipeline(request) -> dict:
    return {"pipeline_delay": getattr(request, "pipeline_delay", "")}
