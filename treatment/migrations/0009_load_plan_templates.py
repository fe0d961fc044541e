"""The built-in plan-template library is present after `migrate` alone (whatever files exist then; none is fine)."""

from django.db import migrations


def load(apps, schema_editor):
    from treatment.plan_templates import load_system_templates

    load_system_templates(
        apps.get_model("treatment", "PlanTemplate"),
        apps.get_model("treatment", "TemplateGoal"),
        apps.get_model("treatment", "TemplateGoalIntervention"),
    )


class Migration(migrations.Migration):
    # The templates point at the intervention library's fixed ids.
    dependencies = [("treatment", "0008_plan_templates"), ("interventions", "0002_load_system_library")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
