from django.db import models


class StoredFile(models.Model):
    """A file kept in the database (`FILE_STORAGE=database`): its bytes, under the name its FileField stores."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
