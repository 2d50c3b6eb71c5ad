"""What the apps that post into the inbox tell it about their items, in the open.

The inbox never imports the apps that feed it (alerts, labs). An app registers, in its
``AppConfig.ready()``, how to describe a page of its items (``ItemFacts``: the plain
title, a preview, how many sources the item gathers) and what a status change of an
item means for its sources (an alert item set to done resolves its alerts: one status
model, API.md "Messaging and the inbox"). Like ``portal.sealed``: a registry that
reverses a dependency where everyone can see it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from messaging.models import InboxItem


@dataclass(frozen=True)
class ItemFacts:
    """What a row and the preview pane show of one item, beyond its own columns."""

    title: str = ""  # the subject, or the plain titles of the rules that fired
    preview: str = ""  # a message's first line, or an alert's trigger values
    count: int = 1  # how many sources the item gathers (alerts of one episode)
    source_ids: tuple[int, ...] = ()  # API.md ``alerts``: the ids of those sources
    # The pane's facts: (label, value) pairs, in order.
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)


# (items of one kind) -> {item id: facts}; a constant number of queries for the whole page.
FactsReader = Callable[[Sequence["InboxItem"]], dict[int, ItemFacts]]
# (items of one kind, the new status, who, when) inside the status change's transaction.
StatusFollower = Callable[..., None]

_facts: dict[str, FactsReader] = {}
_followers: dict[str, StatusFollower] = {}


def register_inbox_kind(
    kind: str, *, facts: FactsReader | None = None, on_status: StatusFollower | None = None
) -> None:
    if facts is not None:
        _facts[kind] = facts
    if on_status is not None:
        _followers[kind] = on_status


def facts_of(items: Sequence[InboxItem]) -> dict[int, ItemFacts]:
    """The facts of a page of items: one reader call per kind on the page."""
    by_kind: dict[str, list[InboxItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    facts: dict[int, ItemFacts] = {}
    for kind, group in by_kind.items():
        reader = _facts.get(kind)
        if reader is not None:
            facts.update(reader(group))
    return facts


def follow_status(items: Sequence[InboxItem], *, status: str, by, now: datetime) -> None:
    """Tell each kind's app that its items moved to ``status`` (same transaction)."""
    by_kind: dict[str, list[InboxItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    for kind, group in by_kind.items():
        follower = _followers.get(kind)
        if follower is not None:
            follower(group, status=status, by=by, now=now)
