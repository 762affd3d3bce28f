from django.db import migrations


def load(apps, schema_editor):
    from partners.communes import load_communes

    load_communes(apps.get_model("partners", "Commune"))


def unload(apps, schema_editor):
    apps.get_model("partners", "Commune").objects.filter(departement="13").delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
