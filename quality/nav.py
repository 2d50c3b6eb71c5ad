"""Top navigation: the clinic's quality figures for quality leads and admins."""

from __future__ import annotations

from quality.selectors import may_read_quality


def nav_items(user) -> list[dict]:
    if may_read_quality(user):
        return [{"label": "Quality", "url_name": "quality:page", "order": 70}]
    return []
