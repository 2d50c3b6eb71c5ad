from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "portal.clinic"
    label = "clinic"
    verbose_name = "Clinic settings"
