"""The childcare deadline rules of SPEC §5, effective from 1 January 2025 like the file rules.

The values are written out here (not read from childcare/deadlines.py) so that this migration gives the same
rows whatever the code becomes; later changes are new versions, made in the admin or by a migration.
"""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2025, 1, 1)

DEFAULT_RULES = [
    {
        "code": "childcare_24h",
        "label": "Réponse à une demande de garde urgente sous 24 heures",
        "subject": "childcare.childcarerequest",
        "start_event": "emergency_requested",
        "met_by": "request_answered",
        "delay": 24,
        "delay_unit": "hours",
        "warning": 6,
        "warning_unit": "hours",
    },
    {
        "code": "avip_review_6m",
        "label": "Bilan de l'accueil AVIP 6 mois après son début",
        "subject": "childcare.placement",
        "start_event": "placement_started",
        "met_by": "placement_reviewed",
        "delay": 6,
        "delay_unit": "months",
        "warning": 3,
        "warning_unit": "days",
    },
]


def create_default_rules(apps, schema_editor):
    DeadlineRule = apps.get_model("accompaniment", "DeadlineRule")
    for rule in DEFAULT_RULES:
        DeadlineRule.objects.create(
            effective_from=EFFECTIVE_FROM,
            cancelled_by=[],
            enabled=True,
            comment="Règle par défaut (SPEC §5)",
            **rule,
        )


def delete_default_rules(apps, schema_editor):
    DeadlineRule = apps.get_model("accompaniment", "DeadlineRule")
    codes = [rule["code"] for rule in DEFAULT_RULES]
    DeadlineRule.objects.filter(code__in=codes, sector=None, effective_from=EFFECTIVE_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("childcare", "0001_providers_requests_placements"),
        ("accompaniment", "0010_deadlines_default_rules"),
    ]

    operations = [migrations.RunPython(create_default_rules, delete_default_rules)]
