"""The audit chain's columns (filled for existing events by 0007) and the checkpoint table."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_personal_tokens")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "View"),
                    ("create", "Create"),
                    ("update", "Update"),
                    ("delete", "Delete"),
                    ("export", "Export"),
                    ("denied", "Denied"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                editable=False, null=True, help_text="Position in the audit chain: 1, 2, 3, ..."
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(
                default="",
                editable=False,
                max_length=64,
                help_text="HMAC-SHA-256 over this event's content and the previous MAC.",
            ),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(help_text="The last event's sequence number.")),
                ("mac", models.CharField(help_text="The last event's MAC.", max_length=64)),
                ("events_checked", models.BigIntegerField(help_text="How many events the verification walked.")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
            options={"ordering": ["-created_at"], "get_latest_by": "created_at"},
        ),
    ]
