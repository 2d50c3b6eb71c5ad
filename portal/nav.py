from __future__ import annotations


def nav_items(user) -> list[dict]:
    items = [{"label": "Home", "url_name": "dashboard", "order": 0, "primary": True}]
    if user.is_staff:
        items.append({"label": "Admin", "url_name": "admin:index", "order": 90})
    return items
