from django.apps import AppConfig


class ChildcareConfig(AppConfig):
    name = "childcare"
    verbose_name = "Garde d'enfants"
