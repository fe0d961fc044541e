"""Shared report storage (issue 16): PDFs go through the storage backend the environment chooses.

Covers: the database storage (accounts.storage) saving, reading, sizing, listing and deleting files, a taken name
getting a new one, and refusing to give a file an address; a report rendered and read back through each backend
that can be configured here (filesystem, database), by the page's and the API's download, for the owner only
(an outsider's 404); FILE_STORAGE parsed from the environment, the S3 options included (django-storages is not
installed here: its configuration is what is checked).
"""

import json

import pytest
from django.core.files.base import ContentFile

from accounts.audit import AuditContext
from accounts.models import StoredFile
from accounts.storage import DatabaseStorage
from reviews.services.reports import report_render, report_request
from tests.config.test_settings import _run

pytestmark = pytest.mark.django_db

DATABASE = {"BACKEND": "accounts.storage.DatabaseStorage"}
FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.fixture
def storage_backend(request, settings, tmp_path):
    """The default storage switched to the backend named by the test's parameter."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"database": DATABASE, "filesystem": FILESYSTEM}[request.param],
    }
    return request.param


def test_the_database_storage_keeps_reads_sizes_lists_and_deletes_files():
    storage = DatabaseStorage()
    name = storage.save("progress-reports/2026/10/a.pdf", ContentFile(b"%PDF-1.7 one"))
    again = storage.save("progress-reports/2026/10/a.pdf", ContentFile(b"%PDF-1.7 two"))
    storage.save("progress-reports/2026/11/b.pdf", ContentFile(b"%PDF-1.7 three"))

    assert name == "progress-reports/2026/10/a.pdf"
    assert again != name and again.startswith("progress-reports/2026/10/a_") and again.endswith(".pdf")
    with storage.open(name) as handle:
        assert handle.read() == b"%PDF-1.7 one"
    assert storage.size(again) == len(b"%PDF-1.7 two")
    assert storage.exists(name) and not storage.exists("progress-reports/none.pdf")
    assert storage.listdir("progress-reports") == (["2026"], [])
    assert storage.listdir("progress-reports/2026/10") == (
        [],
        sorted([name.rsplit("/", 1)[1], again.rsplit("/", 1)[1]]),
    )
    assert storage.get_modified_time(name) == StoredFile.objects.get(name=name).created_at

    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(FileNotFoundError):
        storage.size(name)
    with pytest.raises(ValueError, match="has no address"):
        storage.url(again)


@pytest.mark.parametrize("storage_backend", ["database", "filesystem"], indirect=True)
def test_a_report_is_rendered_into_the_configured_storage_and_downloaded_from_it(
    storage_backend, client, api, owner, report_plan, outsider_admin, pdf_text
):
    plan = report_plan["plan"]
    report = report_render(report_request(by=AuditContext.system("tests", user=owner), plan=plan).pk)

    assert (
        type(report.file.storage._wrapped).__name__
        == {
            "database": "DatabaseStorage",
            "filesystem": "FileSystemStorage",
        }[storage_backend]
    )
    stored = StoredFile.objects.filter(name=report.file.name)
    assert stored.exists() is (storage_backend == "database")
    if storage_backend == "database":
        assert stored.get().size == report.file.size

    client.force_login(owner)
    page = client.get(f"/reports/{report.pk}/pdf/")
    assert page.status_code == 200
    assert page["Content-Type"] == "application/pdf"
    assert plan.title in pdf_text(b"".join(page.streaming_content))
    answer = api.as_(owner).get(f"/api/v1/progress-reports/{report.pk}/pdf")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF")

    client.force_login(outsider_admin)
    assert client.get(f"/reports/{report.pk}/pdf/").status_code == 404


PRINT_STORAGE = (
    "import os, json; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
    "from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
)


def _storage(**env) -> dict:
    result = _run(PRINT_STORAGE, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_file_storage_is_chosen_by_the_environment():
    assert _storage() == FILESYSTEM
    assert _storage(FILE_STORAGE="filesystem") == FILESYSTEM
    assert _storage(FILE_STORAGE="database") == DATABASE
    assert _storage(
        FILE_STORAGE="s3",
        S3_BUCKET="trellis-reports",
        S3_ENDPOINT_URL="https://minio.internal:9000",
        S3_REGION="eu-west-1",
        S3_ACCESS_KEY_ID="key-id",
        S3_SECRET_ACCESS_KEY="secret",
        S3_PREFIX="prod",
    ) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "trellis-reports",
            "endpoint_url": "https://minio.internal:9000",
            "region_name": "eu-west-1",
            "access_key": "key-id",
            "secret_key": "secret",
            "location": "prod",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    # On AWS itself, with the credentials from the machine's role: nothing but the bucket.
    assert _storage(FILE_STORAGE="s3", S3_BUCKET="b")["OPTIONS"] | {"bucket_name": None} == {
        "bucket_name": None,
        "endpoint_url": None,
        "region_name": None,
        "access_key": None,
        "secret_key": None,
        "location": "",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs S3_BUCKET (and the store's credentials)."),
        ({"FILE_STORAGE": "ftp"}, "FILE_STORAGE must be one of filesystem, database, s3 (not 'ftp')."),
    ],
)
def test_a_storage_that_cannot_work_is_refused_with_a_sentence(env, said):
    result = _run(PRINT_STORAGE, DEBUG="true", **env)
    assert result.returncode != 0
    assert said in result.stderr
