"""The layers of docs/architecture.md that import-linter cannot see: who ends a transaction."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _grep(pattern: str, *paths: str) -> list[str]:
    return subprocess.run(["git", "grep", "-n", "-E", pattern, "--", *paths],
                          capture_output=True, text=True, cwd=ROOT).stdout.splitlines()


def test_services_never_commit_or_roll_back():
    assert _grep(r"\.(commit|rollback)\(", "tracker/services/*.py", "tracker/domain/*.py") == []


def test_views_end_their_work_through_saving_not_by_hand():
    assert _grep(r"db\.session\.(commit|rollback)\(", "tracker/views/*.py") == []


def test_services_never_read_the_http_request():
    found = _grep(r"from flask import .*\b(request|session|g)\b|flask\.(request|session|g)\b", "tracker/services/")
    assert found == []
