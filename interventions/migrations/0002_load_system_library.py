"""The built-in library is present after `migrate` alone."""

from django.db import migrations


def load(apps, schema_editor):
    from interventions.library import load_system_library

    load_system_library(apps.get_model("interventions", "Intervention"))


class Migration(migrations.Migration):
    dependencies = [("interventions", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
