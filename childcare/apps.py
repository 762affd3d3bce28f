from django.apps import AppConfig


class ChildcareConfig(AppConfig):
    name = "childcare"
    verbose_name = "Garde d'enfants"

    def ready(self):
        from accompaniment import sections

        from .timeline import register_providers
        from .views import file_sections_context

        register_providers()
        sections.register(file_sections_context, main=["childcare/_file_childcare.html"], order=20)
