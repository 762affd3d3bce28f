from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Pilotage"

    def ready(self):
        from . import indicators, sections

        indicators.register_section("childcare", sections.childcare)
        indicators.register_section("conventions", sections.conventions)
        indicators.register_section("copil_actions", sections.copil_actions)
