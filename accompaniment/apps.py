from django.apps import AppConfig


class AccompanimentConfig(AppConfig):
    name = "accompaniment"
    verbose_name = "Accompagnement"
