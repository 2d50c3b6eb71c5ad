from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from patients import caregivers, dashboard, demo, nav, settings_panel
        from patients.models import SymptomEntry
        from portal.plugins import register_followed_patients, register_plugins
        from portal.sealed import register_sealed_field

        # Menu, home-page panel, demo data and the phone number on the settings page (portal.plugins): imported here, so a
        # broken plugin fails at start-up.
        register_plugins(
            app="patients",
            nav=nav.nav_items,
            dashboard=dashboard.panels,
            demo=demo.seed,
            settings=settings_panel.panels,
        )
        # The patients a caregiver follows (/api/v1/me, the switcher): patients.caregivers.
        register_followed_patients(app="patients", source=caregivers.followed_patient_ids)

        # Key rotation walks it (rotate_encryption_key): a diary entry's notes, bound to the entry.
        register_sealed_field(model=SymptomEntry, field="notes_sealed", context=lambda row: f"symptom_entry:{row.pk}")
