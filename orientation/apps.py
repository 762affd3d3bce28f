from django.apps import AppConfig


class OrientationConfig(AppConfig):
    name = "orientation"
    verbose_name = "Orientation"

    def ready(self):
        from accompaniment import sections

        from .timeline import register_providers
        from .views import file_sections_context
        from .views_offer import file_offer_context

        register_providers()
        sections.register(
            file_sections_context,
            main=["orientation/_file_diagnostics.html"],
            side=["orientation/_file_orientation.html"],
            order=10,
        )
        sections.register(file_offer_context, main=["orientation/_file_offer.html"], order=45)
