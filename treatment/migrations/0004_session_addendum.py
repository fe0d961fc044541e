"""Session addenda, and on PostgreSQL (production) a trigger that refuses to change or remove one.

An addendum corrects a session's record by being added, never by being rewritten. As for plan versions
(reviews 0002) and the audit trail (accounts 0002), not on SQLite, where Django's test flush empties
tables with DELETE (PostgreSQL flushes with TRUNCATE, which the trigger allows).
"""

import django.core.validators
import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

from accounts.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0003_diagnosis_codes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionAddendum",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("text", models.TextField(validators=[django.core.validators.MaxLengthValidator(5000)])),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="addenda",
                        to="treatment.therapysession",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "session addenda",
                "ordering": ["created_at", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("text", ""), _negated=True), name="session_addendum_has_text"
                    )
                ],
            },
        ),
        append_only(
            table="treatment_sessionaddendum",
            function="trellis_session_addendum_append_only",
            refusal="session addenda are append-only",
        ),
    ]
