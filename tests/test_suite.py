"""The test suite itself: what every run imports, and what a missing prerequisite does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_EVERY_TEST
from tests.pipeline import ROOT

NEEDS_A_UNICORN = """
from tests.pipeline import require


def test_needs_something_missing():
    require(False, "a unicorn")


def test_passes():
    pass
"""


def run_pytest(
    folder: Path, require_every_test: bool, tests: str = NEEDS_A_UNICORN
) -> subprocess.CompletedProcess[str]:
    """pytest, with our conftest as a plugin, on a folder holding `tests`."""
    (folder / "test_it.py").write_text(tests)
    env = {key: value for key, value in os.environ.items() if key != REQUIRE_EVERY_TEST}
    if require_every_test:
        env[REQUIRE_EVERY_TEST] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    command += ["-p", "tests.conftest", "--rootdir", str(folder), str(folder)]
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


def test_a_missing_prerequisite_skips_with_its_reason(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, require_every_test=False)
    assert result.returncode == 0, result.stdout
    assert "needs a unicorn" in result.stdout
    assert "1 passed, 1 skipped" in result.stdout


def test_under_ci_a_missing_prerequisite_fails_and_any_skip_fails_the_session(
    tmp_path: Path,
) -> None:
    tests = NEEDS_A_UNICORN + "\n\ndef test_skips():\n    import pytest\n\n    pytest.skip('x')\n"
    result = run_pytest(tmp_path, require_every_test=True, tests=tests)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "needs a unicorn, and REQUIRE_EVERY_TEST is set" in result.stdout
    assert "1 test(s) were skipped" in result.stdout
    assert "test_it.py::test_skips" in result.stdout


def test_a_run_without_the_team_tests_does_not_import_moto() -> None:
    """moto and boto3 take half a second to import; only the S3 tests need them."""
    code = "import sys, tests.conftest; print(sorted({'moto', 'boto3'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
