"""A Django storage backend that keeps files in the database (`FILE_STORAGE=database`, README "Configuration").

For a deployment whose web servers and workers share a database but no disk, and no object store: a PDF a
worker renders is read back by whichever web server hands it out. Files are never served by address: each is
handed out by the view of the record it belongs to, which checks who asks (a progress report's download), so
`url()` refuses. Fine for documents of a few megabytes (PostgreSQL's bytea); an S3-compatible store
(`FILE_STORAGE=s3`) is the choice for many or large files.
"""

from __future__ import annotations

import datetime
import posixpath
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible

from accounts.models import StoredFile


@deconstructible
class DatabaseStorage(Storage):
    """Files as rows of `StoredFile`: a name (unique), the bytes, their size, when written."""

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Files in the database are written with save(), not opened for writing.")
        content = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return ContentFile(bytes(content), name=name)

    def _save(self, name: str, content: IO[Any]) -> str:
        chunks = content.chunks() if isinstance(content, File) else [content.read()]
        data = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in chunks)
        while True:
            try:
                with transaction.atomic():
                    StoredFile.objects.create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:  # another process took the name since get_available_name() looked
                name = self.get_available_name(name)

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def size(self, name: str) -> int:
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        directories: set[str] = set()
        files: list[str] = []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            head, _, tail = name[len(prefix) :].partition("/")
            if tail:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), files

    def get_created_time(self, name: str) -> datetime.datetime:
        created = StoredFile.objects.filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return created

    get_modified_time = get_created_time  # a stored file is never rewritten: a new name is a new row

    def url(self, name: str | None) -> str:
        raise ValueError(
            f"{posixpath.basename(name or '')!r} has no address: a stored file is handed out by the view of the "
            "record it belongs to, which checks who asks."
        )
