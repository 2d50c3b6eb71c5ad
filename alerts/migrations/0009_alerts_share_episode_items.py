"""Alerts share one inbox item per patient episode (issue 16): each alert points at the
item it was posted to, then a patient's open alert items become one (the most serious
priority, the earliest due time, the first status that still needs a look), the others
removed: their alerts move to the kept item, nothing else points at them."""

from django.db import migrations
from django.db.models import CharField, Count, OuterRef, Subquery
from django.db.models.functions import Cast

NEEDS_LOOK = ["new", "in_progress", "waiting"]  # the kept item's status: the first of these any item had


def link_and_merge(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    InboxItem = apps.get_model("messaging", "InboxItem")
    own_item = InboxItem.objects.filter(
        kind="alert", source_type="alerts.alert", source_id=Cast(OuterRef("pk"), output_field=CharField())
    ).values("pk")[:1]
    Alert.objects.filter(inbox_item__isnull=True).update(inbox_item=Subquery(own_item))
    open_items = InboxItem.objects.filter(kind="alert").exclude(status="done")
    crowded = open_items.values("patient_id").annotate(n=Count("pk")).filter(n__gt=1).values_list("patient_id", flat=True)
    for patient_id in list(crowded):
        group = list(open_items.filter(patient_id=patient_id).order_by("created_at", "id"))
        keep, rest = group[0], group[1:]
        best = min(group, key=lambda item: (item.priority_rank, item.due_at))
        keep.priority, keep.priority_rank, keep.summary = best.priority, best.priority_rank, best.summary
        keep.due_at = min(item.due_at for item in group)
        keep.status = next(status for status in NEEDS_LOOK if any(item.status == status for item in group))
        keep.assignee_id = keep.assignee_id or next((i.assignee_id for i in group if i.assignee_id), None)
        keep.shared_with_triage = any(item.shared_with_triage for item in group)
        keep.save()
        Alert.objects.filter(inbox_item__in=rest).update(inbox_item=keep)
        InboxItem.objects.filter(pk__in=[item.pk for item in rest]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0008_alert_inbox_item"),
        ("messaging", "0005_seed_red_flag_words"),
    ]

    operations = [migrations.RunPython(link_and_merge, migrations.RunPython.noop)]
