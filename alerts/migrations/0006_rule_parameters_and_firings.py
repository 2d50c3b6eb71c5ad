"""One alert per entry lists every rule that fired (``AlertFiring``); each rule keeps
its last valid thresholds (``last_valid_thresholds``); what a rule does, in words, is
made from its values, so the stored descriptions go. The data follow in 0007."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0005_urgent_texts_start_with_the_emergency_instruction"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertrule",
            name="last_valid_thresholds",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.CreateModel(
            name="AlertFiring",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "severity",
                    models.CharField(
                        choices=[
                            ("info", "Information"),
                            ("contact_provider", "Contact your care team today"),
                            ("urgent", "Urgent"),
                        ],
                        max_length=16,
                    ),
                ),
                ("dedup_key", models.CharField(max_length=200, unique=True)),
                ("fired_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "alert",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="firings", to="alerts.alert"
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="firings", to="alerts.alertrule"
                    ),
                ),
            ],
            options={
                "ordering": ["alert", "id"],
            },
        ),
        migrations.AddField(
            model_name="alert",
            name="rules",
            field=models.ManyToManyField(related_name="+", through="alerts.AlertFiring", to="alerts.alertrule"),
        ),
        # A default first, so that going back re-adds the columns to existing rows.
        migrations.AlterField(
            model_name="alertrule",
            name="description",
            field=models.CharField(max_length=300, blank=True, default=""),
        ),
        migrations.AlterField(
            model_name="alertrule",
            name="variant_description",
            field=models.CharField(max_length=300, blank=True, default=""),
        ),
        migrations.RemoveField(
            model_name="alertrule",
            name="description",
        ),
        migrations.RemoveField(
            model_name="alertrule",
            name="variant_description",
        ),
    ]
