"""The default deadline rules of SPEC §5, effective from 1 January 2025 (the "plein emploi" law's regime).

The values are written out here (not read from accompaniment/deadlines.py) so that this migration gives the
same rows whatever the code becomes; later changes are new versions, made in the admin or by a migration.
"""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2025, 1, 1)
SUBJECT = "accompaniment.beneficiary"
FILE_CANCELLATIONS = ["exit", "out_of_scope"]
ORIENTATION_CANCELLATIONS = ["exit", "new_orientation", "orientation_ended", "out_of_scope"]

DEFAULT_RULES = [
    {
        "code": "orientation_6w",
        "label": "Orientation dans les 6 semaines suivant le flux",
        "start_event": "flux_date",
        "met_by": "orientation_decision",
        "cancelled_by": FILE_CANCELLATIONS,
        "delay": 42,
        "delay_unit": "days",
    },
    {
        "code": "referent_1m",
        "label": "Référent désigné dans le mois suivant l'ouverture des droits",
        "start_event": "rights_opened",
        "met_by": "referent_designated",
        "cancelled_by": FILE_CANCELLATIONS,
        "delay": 1,
        "delay_unit": "months",
    },
    {
        "code": "entry_15d",
        "label": "Entrée en accompagnement dans les 15 jours suivant l'orientation",
        "start_event": "orientation_decided",
        "met_by": "accompaniment_interview_held",
        "cancelled_by": ORIENTATION_CANCELLATIONS,
        "delay": 15,
        "delay_unit": "days",
    },
    {
        "code": "caf_rights_7d",
        "label": "Entretien d'accès aux droits CAF dans les 7 jours suivant l'ouverture des droits",
        "start_event": "rights_opened",
        "met_by": "caf_rights_interview_held",
        "cancelled_by": FILE_CANCELLATIONS,
        "delay": 7,
        "delay_unit": "days",
        "enabled": False,
    },
    {
        "code": "contract_1m",
        "label": "Contrat d'engagement signé dans le mois suivant la notification de l'orientation",
        "start_event": "orientation_notified",
        "met_by": "contract_signed",
        "cancelled_by": ORIENTATION_CANCELLATIONS,
        "delay": 1,
        "delay_unit": "months",
    },
    {
        "code": "social_review_6m",
        "label": "Bilan du parcours social 6 mois après le contrat (12 mois en cas de vulnérabilité)",
        "start_event": "remobilisation_contract_signed",
        "met_by": "review_held",
        "cancelled_by": ORIENTATION_CANCELLATIONS,
        "delay": 6,
        "extended_delay": 12,
        "delay_unit": "months",
    },
]


def create_default_rules(apps, schema_editor):
    DeadlineRule = apps.get_model("accompaniment", "DeadlineRule")
    for rule in DEFAULT_RULES:
        DeadlineRule.objects.create(
            subject=SUBJECT,
            effective_from=EFFECTIVE_FROM,
            warning=3,
            warning_unit="days",
            comment="Règle par défaut (SPEC §5)",
            **{"enabled": True, **rule},
        )


def delete_default_rules(apps, schema_editor):
    DeadlineRule = apps.get_model("accompaniment", "DeadlineRule")
    codes = [rule["code"] for rule in DEFAULT_RULES]
    DeadlineRule.objects.filter(code__in=codes, sector=None, effective_from=EFFECTIVE_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("accompaniment", "0009_deadlines")]

    operations = [migrations.RunPython(create_default_rules, delete_default_rules)]
