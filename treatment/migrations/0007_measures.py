"""Measurement-based care: measurements, safety flags and assessments, measure-driven objectives, plan cadence.

On PostgreSQL (production) triggers keep the clinical record: measurements and safety assessments refuse
any change or removal (as session addenda, 0004); a safety flag refuses removal, and once cleared refuses
any change (its one change is open -> cleared). Not on SQLite, where Django's test flush empties tables
with DELETE (PostgreSQL flushes with TRUNCATE, which the triggers allow).
"""

import accounts.validators
import django.core.validators
import django.db.models.deletion
import treatment.instruments
import uuid
from django.conf import settings
from django.db import migrations, models

from accounts.append_only import append_only


# Measurements and assessments are append-only (`accounts.append_only`); a safety flag has a rule of its own.
CREATE = """
CREATE OR REPLACE FUNCTION trellis_safety_flag_kept() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status <> 'open' THEN
        RAISE EXCEPTION 'safety flags are kept; a cleared flag is final (% refused)', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER treatment_safetyflag_kept
    BEFORE UPDATE OR DELETE ON treatment_safetyflag
    FOR EACH ROW EXECUTE FUNCTION trellis_safety_flag_kept();
"""
DROP = """
DROP TRIGGER IF EXISTS treatment_safetyflag_kept ON treatment_safetyflag;
DROP FUNCTION IF EXISTS trellis_safety_flag_kept();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_practice_signing_and_measure_settings"),
        ("treatment", "0006_plan_signature_state_and_amendments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Measurement",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("instrument", models.CharField(max_length=20, validators=[treatment.instruments.validate_instrument])),
                ("answers", models.JSONField()),
                ("total_score", models.PositiveSmallIntegerField()),
                ("severity", models.CharField(blank=True, max_length=40)),
                ("safety_flag", models.BooleanField(default=False)),
                ("administered_on", models.DateField(validators=[accounts.validators.validate_clinical_date])),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["administered_on", "created_at"],
            },
        ),
        migrations.CreateModel(
            name="SafetyAssessment",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "note",
                    models.TextField(
                        validators=[
                            django.core.validators.MaxLengthValidator(5000),
                            accounts.validators.validate_no_nul,
                        ]
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="SafetyFlag",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("reason", models.CharField(max_length=200)),
                ("raised_at", models.DateTimeField(auto_now_add=True)),
                (
                    "status",
                    models.CharField(choices=[("open", "Open"), ("cleared", "Cleared")], default="open", max_length=10),
                ),
                ("cleared_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["raised_at", "id"],
            },
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_baseline_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_baseline_used",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_instrument",
            field=models.CharField(
                blank=True,
                help_text="The code of the instrument whose scores drive it (treatment.instruments; no choices, so that a new instrument needs no migration).",
                max_length=20,
                validators=[treatment.instruments.validate_instrument],
            ),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_last_score",
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_reliable_deterioration",
            field=models.BooleanField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_reliable_improvement",
            field=models.BooleanField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_remission",
            field=models.BooleanField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_response",
            field=models.BooleanField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="treatmentgoal",
            name="measure_target_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="measure_every_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)],
            ),
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="measure_every_sessions",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(52)],
            ),
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="measure_instruments",
            field=models.JSONField(
                blank=True, default=list, help_text='Instrument codes the plan administers, e.g. ["phq9"].'
            ),
        ),
        migrations.AddConstraint(
            model_name="treatmentgoal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("measure_baseline_score__isnull", True),
                        ("measure_instrument", ""),
                        ("measure_target_score__isnull", True),
                    ),
                    models.Q(
                        ("goal_type", "objective"),
                        ("measure_target_score__isnull", False),
                        models.Q(("measure_instrument", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="goal_measure_objective_only",
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="administered_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="measurements", to="accounts.patient"
            ),
        ),
        migrations.AddField(
            model_name="measurement",
            name="session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="measurements",
                to="treatment.therapysession",
            ),
        ),
        migrations.AddField(
            model_name="safetyassessment",
            name="assessed_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="safetyassessment",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="safety_assessments", to="accounts.patient"
            ),
        ),
        migrations.AddField(
            model_name="safetyflag",
            name="assessment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cleared_flags",
                to="treatment.safetyassessment",
            ),
        ),
        migrations.AddField(
            model_name="safetyflag",
            name="cleared_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="safetyflag",
            name="measurement",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="safety_flag_record",
                to="treatment.measurement",
            ),
        ),
        migrations.AddField(
            model_name="safetyflag",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="safety_flags", to="accounts.patient"
            ),
        ),
        migrations.AddIndex(
            model_name="measurement",
            index=models.Index(
                fields=["patient", "instrument", "administered_on"], name="treatment_m_patient_b5f48e_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="safetyassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(("note", ""), _negated=True), name="safety_assessment_has_note"
            ),
        ),
        migrations.AddIndex(
            model_name="safetyflag",
            index=models.Index(fields=["patient", "status"], name="treatment_s_patient_a0f346_idx"),
        ),
        migrations.AddConstraint(
            model_name="safetyflag",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["open", "cleared"])), name="safety_flag_status_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="safetyflag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("assessment__isnull", True),
                        ("cleared_at__isnull", True),
                        ("cleared_by__isnull", True),
                        ("status", "open"),
                    ),
                    models.Q(
                        ("assessment__isnull", False),
                        ("cleared_at__isnull", False),
                        ("cleared_by__isnull", False),
                        ("status", "cleared"),
                    ),
                    _connector="OR",
                ),
                name="safety_flag_cleared_with_assessment",
            ),
        ),
        append_only(
            table="treatment_measurement",
            function="trellis_measurement_append_only",
            refusal="measurements are append-only",
        ),
        append_only(
            table="treatment_safetyassessment",
            function="trellis_safety_assessment_append_only",
            refusal="safety assessments are append-only",
        ),
        migrations.RunPython(create, drop),
    ]
