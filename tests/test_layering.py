"""The rules of the house that a linter can check (STYLE.md rule 10)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_DIRS = ["core", "accounts", "contacts", "channels_app", "conversations", "monitoring", "omnichannel"]


def _product_files():
    for directory in PRODUCT_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _offenders(pattern: str, allowed: set[str]) -> list[str]:
    regex = re.compile(pattern, re.MULTILINE)
    return sorted(
        str(path.relative_to(ROOT))
        for path in _product_files()
        if str(path.relative_to(ROOT)) not in allowed and regex.search(path.read_text())
    )


def test_only_the_realtime_module_sends_to_channel_layer_groups():
    assert _offenders(r"\.group_send\(", {"core/realtime.py"}) == []


def test_only_core_tasks_hands_work_to_the_broker():
    assert _offenders(r"\basync_task\b", {"core/tasks.py"}) == []


def test_only_core_http_imports_an_http_client():
    assert _offenders(r"^\s*(import|from)\s+(httpx|requests|urllib3|aiohttp)\b", {"core/http.py"}) == []


def test_no_django_signals_for_side_effects():
    assert _offenders(r"django\.db\.models\.signals|@receiver\(", set()) == []


def test_ruff_finds_no_errors_or_banned_imports():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F,TID251,DJ,B006,B007", "--output-format", "concise", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
