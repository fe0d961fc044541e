"""Plan signatures, and on PostgreSQL a trigger that refuses to change or remove one (as for plan versions,
0002, and session addenda, treatment 0004; not on SQLite, whose test flush empties tables with DELETE).
The review reminders gain the `unsigned` kind: a plan still not fully signed some days after it started."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models

from accounts.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0008_measure_alerts"),
        ("treatment", "0006_plan_signature_state_and_amendments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PlanSignature",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("clinician", "Clinician"),
                            ("client", "Client"),
                            ("guardian", "Guardian"),
                            ("supervisor", "Supervisor"),
                        ],
                        max_length=20,
                    ),
                ),
                ("signer_name", models.CharField(max_length=200)),
                ("signer_license", models.CharField(blank=True, max_length=50)),
                ("relationship", models.CharField(blank=True, max_length=100)),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("password", "Password re-entered"),
                            ("mfa", "Password and authenticator code re-entered"),
                            ("drawn", "Drawn on screen"),
                            ("typed", "Typed name"),
                            ("declined", "Declined to sign"),
                            ("unable", "Unable to sign"),
                        ],
                        max_length=20,
                    ),
                ),
                ("reason", models.TextField(blank=True, max_length=2000)),
                ("intent_statement", models.TextField()),
                ("image", models.BinaryField(blank=True, null=True)),
                ("content_hash", models.CharField(max_length=64)),
                ("signed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-signed_at", "-id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="reviewreminder",
            name="reminder_kind_valid",
        ),
        migrations.AlterField(
            model_name="reviewreminder",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due_soon", "Review due soon"),
                    ("due", "Review due today"),
                    ("overdue", "Review overdue"),
                    ("unsigned", "Plan not yet signed"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewreminder",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["due_soon", "due", "overdue", "unsigned"])), name="reminder_kind_valid"
            ),
        ),
        migrations.AddField(
            model_name="plansignature",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="signatures", to="treatment.treatmentplan"
            ),
        ),
        migrations.AddField(
            model_name="plansignature",
            name="recorded_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="plansignature",
            name="signer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="plansignature",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="signatures", to="reviews.planversion"
            ),
        ),
        migrations.AddIndex(
            model_name="plansignature",
            index=models.Index(fields=["plan", "signed_at"], name="reviews_pla_plan_id_6a4db4_idx"),
        ),
        migrations.AddIndex(
            model_name="plansignature",
            index=models.Index(fields=["version", "role"], name="reviews_pla_version_22c0f5_idx"),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["clinician", "client", "guardian", "supervisor"])),
                name="signature_role_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(("method__in", ["password", "mfa", "drawn", "typed", "declined", "unable"])),
                name="signature_method_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("method__in", ("password", "mfa")),
                        ("role__in", ("clinician", "supervisor")),
                        ("signer__isnull", False),
                    ),
                    models.Q(
                        ("method__in", ("drawn", "typed", "declined", "unable")),
                        ("role__in", ("client", "guardian")),
                        ("signer__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="signature_method_fits_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("method__in", ("declined", "unable")), _negated=True),
                    models.Q(("reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="signature_reason_when_not_signed",
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("image__isnull", False), ("method", "drawn")),
                    models.Q(models.Q(("method", "drawn"), _negated=True), ("image__isnull", True)),
                    _connector="OR",
                ),
                name="signature_image_when_drawn",
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("role", "guardian"), _negated=True),
                    models.Q(("relationship", ""), _negated=True),
                    _connector="OR",
                ),
                name="signature_guardian_relationship",
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(("signer_name", ""), _negated=True), name="signature_signer_named"
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(("intent_statement", ""), _negated=True), name="signature_intent_shown"
            ),
        ),
        migrations.AddConstraint(
            model_name="plansignature",
            constraint=models.CheckConstraint(
                condition=models.Q(("content_hash__regex", "^[0-9a-f]{64}$")), name="signature_hash_sha256"
            ),
        ),
        append_only(
            table="reviews_plansignature",
            function="trellis_plan_signature_append_only",
            refusal="plan signatures are append-only",
        ),
    ]
