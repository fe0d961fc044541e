"""Settings come from the environment and fail loudly where a production secret is missing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "TRELLIS_SERVING"}}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_the_web_server_refuses_to_start_without_a_secret_key():
    result = _run("import config.wsgi", DEBUG="false")

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_the_web_server_starts_with_a_secret_key():
    result = _run("import config.wsgi", DEBUG="false", SECRET_KEY="k" * 50)

    assert result.returncode == 0, result.stderr


def test_management_commands_run_without_a_secret_key():
    result = _run("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()")

    assert result.returncode == 0, result.stderr


def test_database_url_selects_the_database():
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    result = _run(code, DATABASE_URL="postgres://trellis@db.internal:5432/trellis_prod")

    assert result.stdout.split() == ["django.db.backends.postgresql", "trellis_prod", "db.internal"]
