"""``{{ secret|groups_of_four }}``: a TOTP key as "ABCD EFGH IJKL ...", easier to read
and type into an app on another device (apps ignore the spaces)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def groups_of_four(value: str) -> str:
    text = str(value or "")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
