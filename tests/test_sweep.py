"""A hidden-size sweep and seed replicates through DVC's experiment queue, two workers, then the
comparison reports: each report takes its own runs and leaves the others out."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest

from tests.pipeline import Project

pytestmark = pytest.mark.pipeline

SIZES = (1, 2, 5)
SEEDS = (1, 2)
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


@pytest.fixture(scope="module")
def queued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    """A committed baseline; queued on it, as the README says: `nn.hidden_units=1,2,5`, the
    seeds 1 and 2 of both the network and the split, and one unrelated experiment
    (`nn.learning_rate=0.3`, named). One queue run, two workers, takes all six (the sixth costs
    no extra round). While the queue runs, the workspace's package is broken (as a user may go
    on editing it): the queued experiments must run the sources they were queued with. Returns
    the project and the final `dvc queue status`."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("sweep"))
    project.dvc("repro")
    project.commit("baseline")
    sizes = ",".join(str(size) for size in SIZES)
    project.dvc("exp", "run", "--queue", "-S", f"nn.hidden_units={sizes}")
    for seed in SEEDS:
        project.dvc("exp", "run", "--queue", "-S", f"nn.seed={seed}", "-S", f"split.seed={seed}")
    project.dvc("exp", "run", "--queue", "-S", "nn.learning_rate=0.3", "-n", "unrelated")
    package = project.root / "src" / "scratchnet" / "__init__.py"
    sources = package.read_text()
    package.write_text(f"{sources}\nraise ImportError('the workspace, not the queued sources')\n")
    project.dvc("queue", "start", "-j", "2")
    status = wait_for_queue(project)
    package.write_text(sources)
    return project, status


@pytest.fixture(scope="module")
def project(queued: tuple[Project, str]) -> Project:
    """The queued project: the sweep, the seed replicates and the unrelated experiment."""
    project, _ = queued
    return project


def test_queued_experiments_run_their_own_sources(queued: tuple[Project, str]) -> None:
    """Each stage imports the package from its own checkout (DVC's temporary clone), not the
    workspace's that the environment points at (here PYTHONPATH; for users an editable
    install): every experiment succeeds although the workspace's package cannot be imported."""
    _, status = queued
    assert status.count("Success") == len(SIZES) + len(SEEDS) + 1, status  # + unrelated
    assert "Failed" not in status


def test_queued_sweep_runs_in_parallel_and_is_compared(project: Project) -> None:
    """`--sweep nn.hidden_units` → one row per size, test accuracy with its interval; the seed
    replicates and the unrelated experiment stay out of the sweep report."""
    out_dir = project.root / "reports" / "sweep"
    result = project.run(
        sys.executable, "tools/compare.py", "--sweep", "nn.hidden_units", "--out", str(out_dir)
    )
    table = (out_dir / "hidden_units.md").read_text()
    assert table == result.stdout
    assert f"wrote {out_dir / 'hidden_units.md'}" in result.stderr
    rows = table.splitlines()[2:]
    assert [int(row.split("|")[2]) for row in rows] == [40, *SIZES]  # baseline first
    assert "unrelated" not in table and "learning_rate" not in table and "seed" not in table
    assert all("% (" in row.split("|")[4] for row in rows)  # "91.25% (83.0–95.7%)"
    assert (out_dir / "hidden_units.png").read_bytes().startswith(b"\x89PNG")
    left_out = [line for line in result.stderr.splitlines() if " left out: " in line]
    assert len(left_out) == len(SEEDS) + 1, result.stderr  # each named, with the reason
    assert all(line.endswith("does not change nn.hidden_units") for line in left_out)
    assert any(line.startswith("compare: unrelated left out") for line in left_out)


def test_no_arguments_ranks_every_experiment_in_80_columns(project: Project) -> None:
    """`compare.py` alone: the baseline and every experiment (sizes, seeds, the unrelated run),
    best network first, each with both accuracies and what it changed, in 80 columns."""
    result = project.run(sys.executable, "tools/compare.py")
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    rows = lines[4:]
    assert len(rows) == 1 + len(SIZES) + len(SEEDS) + 1
    accuracies = [float(row.split()[1]) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    [unrelated] = [row for row in rows if row.startswith("unrelated")]
    assert unrelated.endswith("learning_rate=0.3") and unrelated.count("(") == 2


def test_seed_replicates_are_summarised_per_configuration(project: Project) -> None:
    """`--seeds` → one row, the baseline's configuration over the baseline and its two seed
    replicates, whose statistics are those of the three runs' test accuracies; the sweep's
    one-off sizes and the unrelated run are named as left out."""
    out_dir = project.root / "reports" / "seeds"
    result = project.run(sys.executable, "tools/compare.py", "--seeds", "--out", str(out_dir))
    table = (out_dir / "seeds.md").read_text()
    assert table == result.stdout
    [row] = table.splitlines()[2:]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:3] == ["the baseline", "3", "split.seed, nn.seed"]

    shown = json.loads(project.dvc("exp", "show", "--json").stdout)
    baseline = next(entry for entry in shown if entry["rev"] != "workspace")
    revisions = [baseline] + [
        group["revs"][0]
        for group in baseline["experiments"]
        if group["revs"][0]["data"]["params"]["params.yaml"]["data"]["split"]["seed"] in SEEDS
    ]
    accuracy = np.array(
        [
            revision["data"]["metrics"]["reports/metrics.json"]["data"]["nn"]["accuracy"]
            for revision in revisions
        ]
    )
    expected = [accuracy.mean(), accuracy.std(ddof=1), accuracy.min(), accuracy.max()]
    assert cells[3:7] == [f"{value:.2%}" for value in expected]
    assert "left out: nn.hidden_units=1; nn.hidden_units=2; nn.hidden_units=5" in result.stderr
    assert "nn.learning_rate=0.3" in result.stderr
    assert (out_dir / "seeds.png").read_bytes().startswith(b"\x89PNG")
