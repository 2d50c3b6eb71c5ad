from django.db import migrations, models

# The summary a red-flag message gave its item before the flag had its own column.
RED_FLAG_SUMMARY = "New message from patient: mentions a warning sign"


def flag_existing(apps, schema_editor):
    InboxItem = apps.get_model("messaging", "InboxItem")
    InboxItem.objects.filter(kind="message", summary=RED_FLAG_SUMMARY).update(red_flag=True)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_seed_red_flag_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboxitem",
            name="red_flag",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(flag_existing, migrations.RunPython.noop),
    ]
