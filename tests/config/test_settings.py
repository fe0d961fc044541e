"""Settings come from the environment and fail loudly where a production secret is missing."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "AUDIT_HMAC_KEY", "TRELLIS_SERVING"}
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_the_web_server_refuses_to_start_without_a_secret_key():
    result = _run("import config.wsgi", DEBUG="false")

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_the_web_server_starts_with_a_secret_key():
    result = _run("import config.wsgi", DEBUG="false", SECRET_KEY="k" * 50, AUDIT_HMAC_KEY="a" * 50)

    assert result.returncode == 0, result.stderr


def test_the_web_server_refuses_to_start_without_an_audit_chain_key():
    result = _run("import config.wsgi", DEBUG="false", SECRET_KEY="k" * 50)

    assert result.returncode != 0
    assert "Set AUDIT_HMAC_KEY" in result.stderr


def test_a_command_without_the_audit_chain_key_refuses_to_write_an_event():
    """Off DEBUG, a command or worker has no key to fall back on: it writes no event nobody could verify."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; import django; django.setup();"
        "from accounts.audit_chain import hmac_key\n"
        "from django.core.exceptions import ImproperlyConfigured\n"
        "try:\n    hmac_key()\nexcept ImproperlyConfigured as error:\n    print(error)"
    )
    result = _run(code, DEBUG="false")

    assert result.stdout.strip() == "Set AUDIT_HMAC_KEY (or DEBUG=true for a development machine)."


def test_the_audit_chain_key_comes_from_the_environment():
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from django.conf import settings; print(settings.AUDIT_HMAC_KEY)"
    )

    assert _run(code, DEBUG="false", AUDIT_HMAC_KEY="from-the-env").stdout.strip() == "from-the-env"
    assert _run(code, DEBUG="true").stdout.strip() == "dev-only-audit-chain-key-never-used-with-debug-off"


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


def test_a_database_that_does_not_answer_fails_a_connection_within_the_connect_timeout():
    """A listening socket that never speaks PostgreSQL: without a connect timeout the connection would wait for
    ever (TCP's handshake completes in the kernel's backlog); with it, it fails after the seconds set."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; import django; django.setup();"
        "from django.db import connection, OperationalError\n"
        "try:\n    connection.ensure_connection()\nexcept OperationalError as error:\n    print('refused')"
    )
    try:
        started = time.monotonic()
        result = _run(code, DATABASE_URL=f"postgres://trellis@127.0.0.1:{port}/trellis", DATABASE_CONNECT_TIMEOUT="2")
        elapsed = time.monotonic() - started
    finally:
        silent.close()

    assert result.stdout.strip() == "refused", result.stderr
    assert 2 <= elapsed < 30
