from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from portal.sealed import register_sealed_field

        # Key rotation walks it (rotate_encryption_key): a diary entry's notes, bound to the entry.
        register_sealed_field(
            model="patients.SymptomEntry", field="notes_sealed", context=lambda row: f"symptom_entry:{row.pk}"
        )
