"""The sweep worker's slicing, naming, command line and the checks it makes before anything
runs; then, in clones of a baseline published to a bare git origin and a folder as the DVC
remote, that it leaves the workspace as it found it. tests/test_team_sweep.py runs it on S3."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pipeline import ROOT, Project
from tests.team import DirectoryRemote, clone, publish_baseline
from tools import sweep_worker

WORKER = Path(sweep_worker.__file__)


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 7, 9])
def test_slices_share_out_every_value_once_and_evenly(workers: int) -> None:
    values = [str(value) for value in range(1, 8)]
    slices = [sweep_worker.sweep_slice(values, index, workers) for index in range(workers)]
    assert sorted(value for part in slices for value in part) == sorted(values)
    assert max(map(len, slices)) - min(map(len, slices)) <= 1


def test_round_robin_spreads_a_list_in_order_of_cost() -> None:
    values = ["1", "2", "3", "4", "5", "20", "50"]
    assert [sweep_worker.sweep_slice(values, index, 3) for index in range(3)] == [
        ["1", "4", "50"],
        ["2", "5"],
        ["3", "20"],
    ]


@pytest.mark.parametrize(
    ("param", "value", "name"),
    [
        ("nn.hidden_units", "5", "hidden_units-5"),
        ("nn.learning_rate", "0.3", "learning_rate-0.3"),
        ("data.kind", "data/own/my data.csv", "kind-data_own_my_data.csv"),
    ],
)
def test_experiment_names_come_from_the_value(param: str, value: str, name: str) -> None:
    assert sweep_worker.experiment_name(param, value) == name


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["nn.hidden_units", "1,2", "--worker", "2", "--workers", "2"], "--worker 2 is not in 0"),
        (["nn.hidden_units", "1,2", "--worker", "0", "--workers", "0"], "(1 or more)"),
        (["nn.hidden_units", "1,,2", "--worker", "0", "--workers", "1"], "has an empty item"),
        (["data.kind", "a/b,a b", "--worker", "0", "--workers", "1"], "the same experiment name"),
    ],
)
def test_a_bad_command_line_is_one_line_and_status_2(
    argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        sweep_worker.main(argv)
    assert exit_info.value.code == 2
    assert problem in capsys.readouterr().err.splitlines()[-1]


def test_a_worker_with_an_empty_slice_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Three workers for two values: the third pulls nothing and pushes nothing."""
    sweep_worker.main(["nn.hidden_units", "1,2", "--worker", "2", "--workers", "3"])
    assert capsys.readouterr().err == "sweep_worker: worker 2 of 3: no value left, nothing to do\n"


# --- refused before anything runs ------------------------------------------------------------


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line the worker exits with (status 1), having run no step: nothing printed before
    it but DVC's or git's own error."""
    with pytest.raises(SystemExit) as exit_info:
        sweep_worker.main(argv)
    message = exit_info.value.code
    assert isinstance(message, str), message  # SystemExit(str) exits with status 1
    assert message.startswith("sweep_worker: error: "), message
    assert "sweep_worker: dvc " not in capsys.readouterr().err
    return message


def test_a_python_without_dvc_is_told_so(tmp_path: Path) -> None:
    """Run by a Python that cannot import dvc, the worker says so and how to install it (it used
    to run `python -m dvc pull`, fail, and blame the DVC remote)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    result = subprocess.run(
        [python, WORKER, "nn.hidden_units", "1", "--worker", "0", "--workers", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"sweep_worker: error: DVC is not installed for this Python ({python}): install it with "
        f"`{python} -m pip install -e . 'dvc[s3]'` (the project and DVC with the remote's "
        "plugin), or run this script with the Python that has DVC\n"
    ), result.stderr


def make_relu(project: Project) -> None:
    """As a clone that still holds an applied experiment's `activation: relu`."""
    project.set_params(nn={"activation": "relu"})


def stage_relu(project: Project) -> None:
    make_relu(project)
    project.git("add", "params.yaml")


def add_notes(project: Project) -> None:
    (project.root / "notes.txt").write_text("relu next?\n")


@pytest.mark.parametrize(
    ("dirty", "listed"),
    [
        (make_relu, "params.yaml (changed)"),
        (stage_relu, "params.yaml (changed)"),
        (add_notes, "notes.txt (untracked)"),
    ],
    ids=["changed", "staged", "untracked"],
)
def test_a_workspace_that_is_not_its_commit_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dirty: Callable[[Project], None],
    listed: str,
) -> None:
    """Each experiment would run with the difference under a name that does not show it (a
    relu network called hidden_units-2): the worker names what differs and how to put it
    aside, and leaves it as it is."""
    project = Project(tmp_path)
    (tmp_path / "params.yaml").write_bytes((ROOT / "params.yaml").read_bytes())
    project.git("init", "-q", "-b", "main")
    project.commit("baseline")
    dirty(project)
    before = project.git("status", "--porcelain").stdout
    monkeypatch.chdir(tmp_path)
    message = refusal(["nn.hidden_units", "2", "--worker", "0", "--workers", "1"], capsys)
    assert message == (
        f"sweep_worker: error: the workspace differs from the commit it would sweep: {listed}; "
        "each experiment would run with that, named after nn.hidden_units only. Put it aside "
        "(`git stash --include-untracked`) or discard it (`git checkout -- params.yaml`, or any "
        "file listed), then run again"
    )
    assert project.git("status", "--porcelain").stdout == before


@pytest.mark.pipeline
@pytest.mark.parametrize(
    "configure",
    [
        ["remote", "add", "--local", "-d", "storage", "{remote}"],
        ["remote", "add", "storage", "{remote}"],
    ],
    ids=["in-config-local-only", "committed-not-default"],
)
def test_a_commit_without_a_default_remote_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    configure: list[str],
) -> None:
    """An experiment carries its commit's .dvc/config: made from a commit without the team's
    default remote, `dvc exp push` says it succeeded, and a teammate's `dvc exp apply` deletes
    their remote. The worker checks the commit first and says what to run."""
    project = Project(tmp_path / "repo")
    project.root.mkdir()
    project.git("init", "-q", "-b", "main")
    project.dvc("init", "-q")
    remote = DirectoryRemote(tmp_path / "remote")
    project.dvc(*(arg.format(remote=remote.path) for arg in configure))
    project.commit("a DVC project")
    monkeypatch.chdir(project.root)
    message = refusal(["nn.hidden_units", "2", "--worker", "0", "--workers", "1"], capsys)
    assert message == (
        "sweep_worker: error: the commit's .dvc/config has no default DVC remote: its "
        "experiments would carry none, so teammates could not pull their data. First `dvc "
        "remote add -d NAME URL`, `git commit .dvc/config`, `git push` and `dvc push "
        "--run-cache`, then run again"
    )
    assert remote.stored() == []


# --- the workspace after a run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Project]:
    """A reproduced baseline pushed to a bare git origin and a folder remote: (its folder, the
    copy it was reproduced in)."""
    base = tmp_path_factory.mktemp("sweep_worker")
    return base, publish_baseline(base, DirectoryRemote(base / "remote"))


def run_worker(checkout: Project, param: str, values: str) -> subprocess.CompletedProcess[str]:
    """The clone's own tools/sweep_worker.py as the only worker of `values`."""
    command = ["python", "tools/sweep_worker.py", param, values, "--worker", "0", "--workers", "1"]
    return checkout.run(*command, check=False)


def assert_as_published(checkout: Project, published: Project) -> None:
    """The clone is at the published commit with nothing changed: its tracked files, its DVC
    outputs (the commit's, byte for byte) and no untracked file."""
    assert checkout.git("rev-parse", "HEAD").stdout == published.git("rev-parse", "HEAD").stdout
    assert checkout.git("status", "--porcelain").stdout == ""
    assert json.loads(checkout.dvc("status", "--json").stdout) == {}
    for output in ("models/nn.npz", "data/split/train.csv"):
        assert checkout.read(output) == published.read(output), output


@pytest.fixture(scope="module")
def checkout(published: tuple[Path, Project]) -> Project:
    """One clone of the published baseline, which the two tests below use in turn: the failed
    run's, then the next command's."""
    base, _ = published
    return clone(base, "worker")


@pytest.mark.pipeline
def test_a_failed_run_leaves_the_workspace_as_it_found_it(
    published: tuple[Path, Project], checkout: Project
) -> None:
    """A value train_nn refuses: the worker's line names it, and the clone is the commit again,
    so the same clone takes the next command as it is (the test below runs it there)."""
    _, a = published
    result = run_worker(checkout, "nn.hidden_units", "0")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        "sweep_worker: error: nn.hidden_units=0 failed (above): nothing was pushed"
    ), result.stderr
    assert_as_published(checkout, a)


@pytest.mark.pipeline
def test_the_worker_leaves_the_workspace_as_it_found_it(
    published: tuple[Path, Project], checkout: Project
) -> None:
    """In the clone the failed run above left: after pushing its experiment, the clone is the
    commit again, not its last experiment applied (whose params a next `dvc exp run` would carry
    over)."""
    _, a = published
    result = run_worker(checkout, "nn.hidden_units", "2")
    assert result.returncode == 0, result.stderr
    assert "hidden_units-2" in checkout.git("ls-remote", "origin", "refs/exps/*").stdout
    assert_as_published(checkout, a)
