# Integration clients (lab systems) and the identifiers of FHIR-imported lab reports.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('labs', '0005_fhir_codes_and_received_reports'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IntegrationClient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text="The lab system as the care team knows it, e.g. 'City Hospital lab'.", max_length=100, unique=True)),
                ('scope', models.CharField(choices=[('lab_import', 'Send lab results (POST /fhir/R4/)')], default='lab_import', editable=False, max_length=16)),
                ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('token_prefix', models.CharField(editable=False, max_length=12)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('revoked_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'integration client (lab system)',
                'verbose_name_plural': 'integration clients (lab systems)',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ImportedLabReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('identifier_system', models.CharField(max_length=255)),
                ('identifier_value', models.CharField(max_length=255)),
                ('imported_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('imported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('report', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fhir_import', to='labs.labreport')),
                ('client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='interop.integrationclient')),
            ],
            options={
                'ordering': ['-imported_at'],
            },
        ),
        migrations.AddIndex(
            model_name='integrationclient',
            index=models.Index(condition=models.Q(('revoked_at__isnull', True)), fields=['token_hash'], name='client_active_token'),
        ),
        migrations.AddConstraint(
            model_name='importedlabreport',
            constraint=models.UniqueConstraint(fields=('identifier_system', 'identifier_value'), name='imported_report_identifier_once'),
        ),
    ]
