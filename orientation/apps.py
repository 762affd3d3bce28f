from django.apps import AppConfig


class OrientationConfig(AppConfig):
    name = "orientation"
    verbose_name = "Orientation"

    def ready(self):
        from . import timeline  # noqa: F401  (registers the orientation events of the file's timeline)
