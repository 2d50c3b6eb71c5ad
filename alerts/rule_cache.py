"""The alert rule rows a process keeps between diary entries.

Every entry needs the instant rules. Rule rows change only when an admin edits one,
so a process keeps the rows it has read, each with the ``updated_at`` it had, and each
entry reads just every rule's id and last change (``alerts.rules``), reading again
only the rows that moved. Two ways a kept row is dropped:

- an edit in this process (``AlertRule.save``, ``delete`` and the queryset's
  ``update`` and ``delete``) calls ``forget()``: the next entry reads every row again;
- an edit in another process moves the row's ``updated_at``, which the next entry sees.

Kept apart from ``alerts.rules`` so that ``alerts.models`` can call ``forget()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.models import AlertRule


class KeptRuleRows:
    """Rule rows by id, each with the ``updated_at`` it was read with."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[datetime, AlertRule]] = {}

    def get(self, pk: int, updated_at: datetime) -> AlertRule | None:
        """The kept row when it is the one last changed at ``updated_at``, else None."""
        kept = self._rows.get(pk)
        return kept[1] if kept is not None and kept[0] == updated_at else None

    def keep(self, row: AlertRule, updated_at: datetime) -> None:
        """Keep ``row``, as last changed at ``updated_at`` (the stamp the entry read:
        a row edited since then is read again by the next entry)."""
        self._rows[row.pk] = (updated_at, row)

    def forget(self) -> None:
        self._rows.clear()


# This process's rows (each web and Celery worker process has its own).
kept_rule_rows = KeptRuleRows()
