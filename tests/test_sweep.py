"""The hidden-size sweep through DVC's experiment queue, two workers, then the comparison report."""

from __future__ import annotations

import sys
import time

import pytest

from tests.pipeline import Project

pytestmark = pytest.mark.pipeline

SIZES = (1, 2, 5)
QUEUE_TIMEOUT = 300


def wait_for_queue(project: Project) -> str:
    """Poll `dvc queue status` until nothing is queued or running; return the last status."""
    deadline = time.monotonic() + QUEUE_TIMEOUT
    while time.monotonic() < deadline:
        status = project.dvc("queue", "status").stdout
        if not any(state in status for state in ("Queued", "Running")):
            return status
        time.sleep(2)
    raise AssertionError(f"queue still busy after {QUEUE_TIMEOUT} s:\n{status}")


def test_queued_sweep_runs_in_parallel_and_is_compared(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`dvc exp run --queue -S nn.hidden_units=…` + `dvc queue start -j 2` → one row per size;
    another experiment on the same baseline stays out of the sweep report."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("sweep"))
    project.dvc("repro")
    project.commit("baseline")
    sizes = ",".join(str(size) for size in SIZES)
    project.dvc("exp", "run", "--queue", "-S", f"nn.hidden_units={sizes}")
    project.dvc("queue", "start", "-j", "2")
    status = wait_for_queue(project)
    assert status.count("Success") == len(SIZES), status

    project.dvc("exp", "run", "-S", "nn.learning_rate=0.3", "-n", "unrelated")

    out_dir = project.root / "reports" / "sweep"
    result = project.run(
        sys.executable, "tools/compare.py", "--sweep", "nn.hidden_units", "--out", str(out_dir)
    )
    table = (out_dir / "hidden_units.md").read_text()
    assert table == result.stdout
    assert f"wrote {out_dir / 'hidden_units.md'}" in result.stderr
    rows = table.splitlines()[2:]
    assert [int(row.split("|")[2]) for row in rows] == [40, *SIZES]  # baseline first
    assert "unrelated" not in table and "learning_rate" not in table
    assert (out_dir / "hidden_units.png").read_bytes().startswith(b"\x89PNG")
