"""`make run` starts on SQLite: every migration applies to an empty SQLite database in order. CI's suite runs on
PostgreSQL, which alters tables in place; SQLite rebuilds them, so an ordering PostgreSQL forgives can fail here
(the personal tokens' foreign key once pointed at knox's token table before knox had finished reshaping it)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_migration_applies_to_a_fresh_sqlite_database(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env={**env, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "Applying accounts.0008_personal_tokens... OK" in result.stdout
