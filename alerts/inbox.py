"""Alerts in the triage inbox: one item per patient episode, one status.

A patient's alerts of one episode share one inbox item (API.md "Messaging and the
inbox"): a new alert joins the patient's open alert item, which takes the highest
priority, or starts the next episode's item when there is none. The item's status and
its alerts' move together:

- item in progress or waiting: its open alerts are acknowledged (the patient reads
  "seen by your care team" at once);
- item done: its alerts are resolved;
- an alert acknowledged: its item is in progress (unless it waits for the patient);
- an alert resolved: its item is done once none of its alerts is left unresolved.

Both directions hold the patient's queue first (``hold_patient_queue``), so an alert
raised while its item is being closed waits, then opens a new item: nothing is
resolved unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch
from django.urls import reverse

from alerts.models import SEVERITY_RANK, Alert, AlertFiring, AlertStatus, Severity
from messaging.inbox_kinds import ItemFacts
from messaging.models import InboxItem
from messaging.services import (
    hold_patient_queue,
    new_inbox_item,
    open_new_episode_items,
    post_inbox_item,
    set_status_from_source,
)
from portal.audit.services import record_audit

ALERTING = (Severity.CONTACT_PROVIDER, Severity.URGENT)
INBOX_PRIORITY = {Severity.URGENT: "urgent", Severity.CONTACT_PROVIDER: "high"}
INBOX_WORDS = {Severity.URGENT: "Urgent", Severity.CONTACT_PROVIDER: "Contact today"}

# The entry's answers a trigger shows, in the diary's order, in clinician words.
TRIGGER_FLAGS = [
    ("neck_stiffness", "stiff neck"),
    ("confusion", "confusion"),
    ("seizure", "seizure"),
    ("rash", "rash"),
    ("leg_weakness", "leg weakness"),
    ("numbness", "numbness"),
    ("bladder_bowel_change", "bladder/bowel change"),
    ("vision_change", "vision change"),
    ("vomiting", "vomiting"),
    ("site_drainage", "site drainage"),
    ("site_redness", "site redness"),
    ("radiating_leg_pain", "radiating leg pain"),
    ("positional_headache", "positional headache"),
    ("took_fever_reducer", "took a fever reducer"),
]


def trigger_of(alert: Alert) -> dict:
    """API.md ``trigger``: the entry's values when the alert fired (its temperature,
    scores and the warning signs ticked); empty for a dose alert (no entry)."""
    entry = alert.entry
    if entry is None:
        return {}
    values: dict = {"headache": entry.headache, "back_pain": entry.back_pain}
    if entry.temperature_c is not None:
        values["temperature_c"] = float(entry.temperature_c)
    for name, _words in TRIGGER_FLAGS:
        if getattr(entry, name, False):
            values[name] = True
    return values


def trigger_text(alert: Alert) -> str:
    """``trigger_of`` in words for a row: "38.6 °C (101.5 °F) · headache 7/10 · stiff neck"."""
    entry = alert.entry
    if entry is None:
        return alert.clinician_message[:160]
    parts = []
    if entry.temperature_c is not None:
        celsius = Decimal(entry.temperature_c)
        fahrenheit = (celsius * Decimal("1.8") + 32).quantize(Decimal("0.1"))
        parts.append(f"{celsius.quantize(Decimal('0.1'))} °C ({fahrenheit} °F)")
    parts.append(f"headache {entry.headache}/10")
    parts.append(f"back pain {entry.back_pain}/10")
    parts += [words for name, words in TRIGGER_FLAGS if getattr(entry, name, False)]
    return " · ".join(parts)


def _rules_of(alerts: Sequence[Alert]) -> list:
    """Every rule that fired on these alerts, the most serious first, each once."""
    return _rules_fired([firing for alert in alerts for firing in alert.firings.all()])


def _rules_fired(firings: Sequence[AlertFiring]) -> list:
    firings = [firing for firing in firings if firing.severity in ALERTING]
    firings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.rule.order, f.rule.code))
    rules: dict[str, object] = {}
    for firing in firings:
        rules.setdefault(firing.rule.code, firing.rule)
    return list(rules.values())


def _episode_alerts(item_ids: Sequence[int]):
    """The alerts of these items, newest first, with rules and entries: three queries."""
    return (
        Alert.objects.filter(inbox_item_id__in=list(item_ids))
        .select_related("rule", "entry")
        .prefetch_related(Prefetch("firings", queryset=AlertFiring.objects.select_related("rule")))
        .order_by("-created_at", "-id")
    )


def episode_summary(alerts: Sequence[Alert]) -> str:
    """ "Urgent: New neurological symptom reported (and 2 more)": the rules' plain
    titles, never a value (the item's stored summary)."""
    worst = max((alert.severity for alert in alerts), key=lambda s: SEVERITY_RANK[s])
    return _summary_text(_rules_of(alerts), worst)


def _summary_text(rules: list, worst: str) -> str:
    if not rules:
        return ""
    text = f"{INBOX_WORDS.get(worst, 'Alert')}: {rules[0].summary}"
    return f"{text} (and {len(rules) - 1} more)" if len(rules) > 1 else text


def post_to_inbox(alert: Alert, *, firings: Sequence[AlertFiring] | None = None) -> InboxItem:
    """Post the alert to its patient's episode item (joining the open one, or the next).

    ``firings``: every firing of a new alert (``raise_findings`` just wrote them); when
    the alert started a new item, the item holds that alert alone and its summary comes
    from them without reading the episode back."""
    item = post_inbox_item(
        kind="alert",
        patient=alert.patient,
        priority=INBOX_PRIORITY[alert.severity],
        summary=f"{INBOX_WORDS[alert.severity]}: {alert.rule.summary}",
        source=alert,
        link=reverse("alerts:detail", args=[alert.pk]),
        episode=True,
    )
    if alert.inbox_item_id != item.pk:
        Alert.objects.filter(pk=alert.pk).update(inbox_item=item)
        alert.inbox_item_id = item.pk
    if firings is not None and item.source_type == alert._meta.label_lower and item.source_id == str(alert.pk):
        # An item takes its source when it is created: this new alert started it.
        summary = _summary_text(_rules_fired(firings), alert.severity)[:200]
    else:
        summary = episode_summary(list(_episode_alerts([item.pk])))[:200]
    if summary and summary != item.summary:
        item.summary = summary
        item.save(update_fields=["summary", "updated_at"])
    return item


def post_new_episodes(alerts: Sequence[tuple[Alert, Sequence[AlertFiring]]]) -> None:
    """``post_to_inbox`` for new alerts that each start their patient's next episode
    (the caller holds the patients' queues and found none of them with an open alert
    item, each patient once): every item in one INSERT, every alert's link in one
    UPDATE. Each item is what ``post_to_inbox`` leaves: the alert's priority, the
    episode summary of its firings."""
    if not alerts:
        return
    items = []
    for alert, firings in alerts:
        item = new_inbox_item(
            kind="alert",
            patient=alert.patient,
            priority=INBOX_PRIORITY[alert.severity],
            summary=f"{INBOX_WORDS[alert.severity]}: {alert.rule.summary}",
            source_type=alert._meta.label_lower,
            source_id=str(alert.pk),
            link=reverse("alerts:detail", args=[alert.pk]),
        )
        item.summary = _summary_text(_rules_fired(firings), alert.severity)[:200] or item.summary
        items.append(item)
    for (alert, _), item in zip(alerts, open_new_episode_items(items), strict=True):
        alert.inbox_item_id = item.pk
    Alert.objects.bulk_update([alert for alert, _ in alerts], ["inbox_item"])


def alert_item_facts(items: Sequence[InboxItem]) -> dict[int, ItemFacts]:
    """Each alert item's rules (plain titles), its alert count, the newest alert's
    trigger values and the pane's facts: three queries for a whole page."""
    by_item: dict[int, list[Alert]] = {}
    for alert in _episode_alerts([item.pk for item in items]):
        by_item.setdefault(alert.inbox_item_id, []).append(alert)
    facts = {}
    for item in items:
        alerts = by_item.get(item.pk, [])
        if not alerts:
            continue
        rules = _rules_of(alerts) or [alerts[0].rule]
        details = tuple(
            (
                f"{alert.get_severity_display()} · {alert.get_status_display()}",
                f"{', '.join(r.summary for r in _rules_of([alert]) or [alert.rule])} — {trigger_text(alert)}",
            )
            for alert in alerts[:30]
        )
        facts[item.pk] = ItemFacts(
            title=" · ".join(rule.summary for rule in rules),
            preview=trigger_text(alerts[0]),
            count=len(alerts),
            source_ids=tuple(alert.pk for alert in alerts),
            details=details,
        )
    return facts


def _acknowledge(alert: Alert, *, by, now: datetime) -> None:
    alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, now, by
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    record_audit(actor=by, action="alert.acknowledge", patient_id=alert.patient_id, obj=alert)


def _resolve(alert: Alert, *, by, now: datetime, note: str = "") -> None:
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, by
    alert.status, alert.resolved_at, alert.resolved_by, alert.resolution_note = AlertStatus.RESOLVED, now, by, note
    alert.save(
        update_fields=["status", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution_note"]
    )
    record_audit(actor=by, action="alert.resolve", patient_id=alert.patient_id, obj=alert)


def follow_item_status(items: Sequence[InboxItem], *, status: str, by, now: datetime) -> None:
    """The inbox moved these alert items (the caller holds their patients' queues):
    done resolves their alerts, in progress or waiting acknowledges the open ones."""
    if status == "done":
        moving = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    elif status in ("in_progress", "waiting"):
        moving = [AlertStatus.OPEN]
    else:
        return
    alerts = Alert.objects.select_for_update().filter(inbox_item__in=[item.pk for item in items], status__in=moving)
    for alert in alerts.order_by("pk"):
        if status == "done":
            _resolve(alert, by=by, now=now)
        else:
            _acknowledge(alert, by=by, now=now)


def item_follows_alert(alert: Alert) -> None:
    """An alert was acknowledged or resolved on its own page or through the API: its
    item follows (the caller holds the patient's queue)."""
    if alert.inbox_item_id is None:
        return
    if alert.status == AlertStatus.ACKNOWLEDGED:
        set_status_from_source(item_id=alert.inbox_item_id, status="in_progress", unless=("waiting", "done"))
    elif alert.status == AlertStatus.RESOLVED:
        left = Alert.objects.filter(inbox_item_id=alert.inbox_item_id).exclude(status=AlertStatus.RESOLVED)
        if not left.exists():
            set_status_from_source(item_id=alert.inbox_item_id, status="done")
        else:
            set_status_from_source(item_id=alert.inbox_item_id, status="in_progress", unless=("waiting", "done"))


def hold_alert_patient(patient_id: int) -> None:
    """Take the patient's queue before any alert row (``hold_patient_queue``'s order)."""
    hold_patient_queue([patient_id])
