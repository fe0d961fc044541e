from django.db import models


class DiagnosisCode(models.Model):
    """One ICD-10-CM category or billable code, as loaded by a migration from simple-icd-10-cm."""

    code = models.CharField(primary_key=True, max_length=8, help_text='With its dot: "F41.1".')
    description = models.CharField(max_length=300)
    billable = models.BooleanField(help_text="A leaf of the classification: what a plan, a claim and an EHR take.")
    search_words = models.TextField(
        help_text='The description\'s words, lower case, each after a space: " panic disorder episodic ...".'
    )
    first_words = models.CharField(
        max_length=200, help_text="The first words of `search_words`: what the description is about, for ranking."
    )

    class Meta:
        # Reference data that only migrations write. Unmanaged, so a migration creates and fills the table
        # and test flushes (transactional tests truncate every managed table) leave the 98,000 rows in place.
        managed = False
        db_table = "treatment_diagnosiscode"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"
