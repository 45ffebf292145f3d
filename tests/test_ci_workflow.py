"""The CI sweep example (.github/workflows/sweep.yml) is a valid GitHub workflow whose matrix runs
tools/sweep_worker.py and whose report posts DVC's diffs. tests/test_team_sweep.py runs its two
scripted steps as they are."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from tests.pipeline import ROOT
from tests.team import WORKFLOW, workflow, workflow_step


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against GitHub's workflow schema, which the package ships (no network)."""
    schema = ("--builtin-schema", "vendor.github-workflows")
    command = [sys.executable, "-m", "check_jsonschema", *schema, str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_workflow_is_valid_for_github() -> None:
    result = schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_matrix_job_is_one_worker_of_the_script() -> None:
    """Workers 0 … n-1 of n, n counted by GitHub from the matrix, each running the script."""
    job = workflow()["jobs"]["worker"]
    indices = job["strategy"]["matrix"]["worker"]
    assert indices == list(range(len(indices)))
    assert job["env"] == {"WORKER": "${{ matrix.worker }}", "WORKERS": "${{ strategy.job-total }}"}
    command = shlex.split(workflow_step("worker", "sweep"))
    assert command[:2] == ["python", "tools/sweep_worker.py"]
    assert (ROOT / command[1]).is_file()
    assert command[2:] == ["$PARAM", "$VALUES", "--worker", "$WORKER", "--workers", "$WORKERS"]


def test_the_report_posts_the_comparison_and_dvcs_diffs() -> None:
    job = workflow()["jobs"]["report"]
    assert job["needs"] == "worker"
    script = workflow_step("report", "report")
    for command in (
        "dvc exp pull",
        "python tools/compare.py --sweep",
        "dvc params diff --md",
        "dvc metrics diff --md",
        '>> "$GITHUB_STEP_SUMMARY"',
    ):
        assert command in script, command


def test_inputs_and_secrets_reach_the_scripts_only_through_the_environment() -> None:
    """No `${{ }}` inside a script (GitHub would paste inputs into the shell); the AWS keys come
    from the repository's secrets, never from the file."""
    document = workflow()
    for job in document["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step["run"]
    assert document["env"]["PARAM"] == "${{ inputs.param }}"
    assert document["env"]["VALUES"] == "${{ inputs.values }}"
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert document["env"][key] == f"${{{{ secrets.{key} }}}}"
