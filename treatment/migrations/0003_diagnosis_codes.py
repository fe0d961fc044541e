"""The ICD-10-CM code set in the database, so no process parses the package to validate or search a code.

The model is unmanaged (test flushes leave the table alone), so this migration creates and drops the table
itself. On PostgreSQL a trigram index serves the search's word-start LIKE patterns; SQLite scans the table.
"""

from django.db import migrations, models

TRIGRAM_INDEX = "diagnosiscode_words_trgm"
CODE_INDEX = "diagnosiscode_code_prefix"


def create_and_load(apps, schema_editor):
    from treatment.icd10cm import load_code_set

    model = apps.get_model("treatment", "DiagnosisCode")
    schema_editor.create_model(model)
    load_code_set(model)
    if schema_editor.connection.vendor == "postgresql":
        from django.contrib.postgres.indexes import GinIndex
        from django.db.models import Index

        # pg_trgm is a trusted extension: the database owner may create it. It is left in place on the way
        # back, as other schemas of the database may use it.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # Built after the rows are in: one index build is far faster than 98,000 index updates.
        schema_editor.add_index(
            model, GinIndex(fields=["search_words"], opclasses=["gin_trgm_ops"], name=TRIGRAM_INDEX)
        )
        # The primary key's index follows the database's collation, which LIKE 'F41%' cannot use.
        schema_editor.add_index(model, Index(fields=["code"], opclasses=["varchar_pattern_ops"], name=CODE_INDEX))


def drop(apps, schema_editor):
    schema_editor.delete_model(apps.get_model("treatment", "DiagnosisCode"))


class Migration(migrations.Migration):
    dependencies = [("treatment", "0002_clinical_date_bounds_no_nul")]

    operations = [
        migrations.CreateModel(
            name="DiagnosisCode",
            fields=[
                (
                    "code",
                    models.CharField(
                        help_text='With its dot: "F41.1".', max_length=8, primary_key=True, serialize=False
                    ),
                ),
                ("description", models.CharField(max_length=300)),
                (
                    "billable",
                    models.BooleanField(
                        help_text="A leaf of the classification: what a plan, a claim and an EHR take."
                    ),
                ),
                (
                    "search_words",
                    models.TextField(
                        help_text='The description\'s words, lower case, each after a space: " panic disorder episodic ...".'
                    ),
                ),
                (
                    "first_words",
                    models.CharField(
                        help_text="The first words of `search_words`: what the description is about, for ranking.",
                        max_length=200,
                    ),
                ),
            ],
            options={"db_table": "treatment_diagnosiscode", "ordering": ["code"], "managed": False},
        ),
        migrations.RunPython(create_and_load, drop),
    ]
