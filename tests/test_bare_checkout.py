"""A checkout with no configuration: offline commands work, servers refuse to start."""

import os
import subprocess
import sys

from tests.servers import ROOT


def _bare_env(tmp_path, **extra):
    keep = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    return {
        **keep,
        "OMNICHANNEL_SKIP_DOTENV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bare.sqlite3'}",
        **extra,
    }


def test_makemigrations_check_runs_without_any_configuration(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=_bare_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "No changes detected" in result.stdout


def test_a_server_refuses_to_start_without_the_encryption_keys(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import omnichannel.wsgi"],
        cwd=ROOT,
        env=_bare_env(tmp_path, SECRET_KEY="x" * 50),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "Set FIELD_ENCRYPTION_KEYS in the environment" in result.stderr
