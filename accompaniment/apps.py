from django.apps import AppConfig


class AccompanimentConfig(AppConfig):
    name = "accompaniment"
    verbose_name = "Accompagnement"

    def ready(self):
        # Each journey module registers its file-page sections and timeline events when imported.
        from . import (  # noqa: F401
            timeline_interviews,
            views_contracts,
            views_interviews,
            views_referents,
        )
        from .exchange import sections as exchange_sections

        exchange_sections.register()

        from . import signals

        signals.connect()
        from . import deadline_engine, views_deadlines

        # The deadline rules every app declares in its `deadlines.py`, and the refresh after their saves.
        deadline_engine.autodiscover()
        views_deadlines.register_file_section()
