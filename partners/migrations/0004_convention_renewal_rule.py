"""The default rule `convention_renewal` of SPEC §5: due at the convention's end date, alert 90 days before,
effective from 1 January 2025 like the other default rules (values written out, see
accompaniment/migrations/0010_deadlines_default_rules.py)."""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2025, 1, 1)
RULE = {
    "code": "convention_renewal",
    "label": "Renouvellement d'une convention avant sa date de fin",
    "subject": "partners.convention",
    "start_event": "convention_in_force",
    "met_by": "convention_renewed_or_closed",
    "cancelled_by": [],
    # Due at the convention's own end date: the delay is not used for it.
    "delay": 1,
    "delay_unit": "days",
    "warning": 90,
    "warning_unit": "days",
    "enabled": True,
}


def create_rule(apps, schema_editor):
    DeadlineRule = apps.get_model("accompaniment", "DeadlineRule")
    DeadlineRule.objects.create(effective_from=EFFECTIVE_FROM, comment="Règle par défaut (SPEC §5)", **RULE)


def delete_rule(apps, schema_editor):
    DeadlineRule = apps.get_model("accompaniment", "DeadlineRule")
    DeadlineRule.objects.filter(code=RULE["code"], sector=None, effective_from=EFFECTIVE_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_conventions_and_copil"),
        ("accompaniment", "0010_deadlines_default_rules"),
    ]

    operations = [migrations.RunPython(create_rule, delete_rule)]
