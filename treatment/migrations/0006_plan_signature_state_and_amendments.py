"""Where a plan stands on its signatures, and plan amendments, append-only on PostgreSQL (as session addenda)."""

import accounts.validators
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

from accounts.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_practice_signing_and_measure_settings"),
        ("treatment", "0005_plan_status_reason"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PlanAmendment",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("reason", models.TextField(max_length=2000, validators=[accounts.validators.validate_no_nul])),
                ("changes", models.JSONField(default=list)),
                ("amends_version", models.PositiveIntegerField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="first_signed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="signature_status",
            field=models.CharField(
                choices=[
                    ("unsigned", "Unsigned"),
                    ("awaiting_client", "Awaiting the client's signature"),
                    ("awaiting_supervisor", "Awaiting the supervisor's co-signature"),
                    ("signed", "Signed"),
                    ("amended_unsigned", "Amended since signed"),
                ],
                default="unsigned",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="treatmentplan",
            name="signed_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="treatmentplan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "signature_status__in",
                        ["unsigned", "awaiting_client", "awaiting_supervisor", "signed", "amended_unsigned"],
                    )
                ),
                name="plan_signature_status_valid",
            ),
        ),
        migrations.AddField(
            model_name="planamendment",
            name="author",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="planamendment",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="amendments", to="treatment.treatmentplan"
            ),
        ),
        migrations.AddIndex(
            model_name="planamendment",
            index=models.Index(fields=["plan", "created_at"], name="treatment_p_plan_id_06c22a_idx"),
        ),
        migrations.AddConstraint(
            model_name="planamendment",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True), name="amendment_reason_given"
            ),
        ),
        append_only(
            table="treatment_planamendment",
            function="trellis_plan_amendment_append_only",
            refusal="plan amendments are append-only",
        ),
    ]
