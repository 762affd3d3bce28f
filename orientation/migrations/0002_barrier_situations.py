"""The situations under each barrier category (France Travail "contraintes" and the digital theme).
Admins can edit them afterwards."""

from django.db import migrations

SITUATIONS = {
    "mobility": [
        ("mob_no_transport", "Pas de moyen de transport"),
        ("mob_public_transport", "Dépend des transports en commun"),
        ("mob_no_licence", "Pas de permis de conduire, ou permis suspendu"),
        ("mob_health_driving", "Santé incompatible avec la conduite"),
    ],
    "family": [
        ("fam_child_under_3", "Enfant de moins de 3 ans sans solution de garde"),
        ("fam_childcare", "Enfants à faire garder (horaires, urgences)"),
        ("fam_disabled_child", "Enfant en situation de handicap"),
        ("fam_carer", "Aidant d'un proche"),
        ("fam_expecting", "Attend un enfant"),
        ("fam_other", "Autre contrainte familiale"),
    ],
    "health": [
        ("hea_declared", "Problème de santé déclaré"),
        ("hea_disability", "Reconnaissance de handicap (RQTH) ou démarche en cours"),
        ("hea_cover", "Couverture sociale à mettre à jour"),
        ("hea_addiction", "Conduites addictives"),
    ],
    "literacy": [
        ("lit_writing", "Difficultés à l'écrit"),
        ("lit_reading", "Difficultés de lecture"),
        ("lit_oral_french", "Maîtrise insuffisante du français oral"),
        ("lit_numeracy", "Difficultés en calcul"),
    ],
    "housing": [
        ("hou_homeless", "Sans domicile"),
        ("hou_unfit", "Logement indigne ou insalubre"),
        ("hou_arrears", "Impayés de loyer"),
        ("hou_must_leave", "Doit quitter son logement"),
        ("hou_isolated", "Logement isolé (zone rurale)"),
        ("hou_hosted", "Hébergé chez un tiers"),
    ],
    "finances": [
        ("fin_no_resources", "Sans ressources"),
        ("fin_falling", "Baisse des ressources"),
        ("fin_budget", "Difficultés à gérer le budget"),
        ("fin_debt", "Surendettement"),
        ("fin_food_aid", "Recours à l'aide alimentaire"),
    ],
    "administrative": [
        ("adm_procedures", "Démarches administratives à engager"),
        ("adm_rights", "Accès aux droits à ouvrir"),
        ("adm_legal", "Difficultés juridiques"),
        ("adm_id", "Pièce d'identité ou titre de séjour à renouveler"),
        ("adm_tax", "Avis d'imposition manquant"),
    ],
    "digital": [
        ("dig_equipment", "Pas d'équipement (ordinateur, smartphone)"),
        ("dig_connection", "Pas de connexion internet"),
        ("dig_usage", "Peu à l'aise avec les usages numériques"),
    ],
}


def load(apps, schema_editor):
    situation = apps.get_model("orientation", "BarrierSituation")
    for category, items in SITUATIONS.items():
        for order, (code, label) in enumerate(items):
            situation.objects.update_or_create(code=code, defaults={"category": category, "label": label, "order": order})


def unload(apps, schema_editor):
    codes = [code for items in SITUATIONS.values() for code, _ in items]
    apps.get_model("orientation", "BarrierSituation").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("orientation", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
