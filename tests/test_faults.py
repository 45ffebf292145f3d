"""Faults end in a one-line error and a non-zero exit, with every earlier output left as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.pipeline import Project, stages_run

pytestmark = pytest.mark.pipeline

OUTPUT_DIRS = ("data", "models", "reports")


def snapshot(project: Project) -> dict[str, bytes]:
    """Every output file and dvc.lock, by relative path."""
    files = {"dvc.lock": project.read("dvc.lock")}
    for folder in OUTPUT_DIRS:
        for path in sorted((project.root / folder).rglob("*")):
            if path.is_file():
                files[str(path.relative_to(project.root))] = path.read_bytes()
    return files


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project.copy_of_sources(tmp_path_factory.mktemp("faults"))
    project.dvc("repro")
    project.commit("reproduce")
    return project


def run_stage(project: Project, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return project.run(sys.executable, f"stages/{name}.py", *args, check=False)


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], stage: str, *needles: str
) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{stage}: error: ")
    for needle in needles:
        assert needle in lines[0]


def test_bad_param_under_dvc_repro_changes_no_output(project: Project) -> None:
    """A bad params.yaml stops `dvc repro`, naming key and value; fixing it is all it takes."""
    before = snapshot(project)
    good = (project.root / "params.yaml").read_text()
    project.set_params(nn={"learning_rate": -1})
    result = project.dvc("repro", check=False)
    assert result.returncode != 0
    assert "nn.learning_rate = -1" in result.stderr and "> 0" in result.stderr
    assert changed(before, snapshot(project)) == []

    (project.root / "params.yaml").write_text(good)
    assert stages_run(project.dvc("repro").stdout) == []
    assert "up to date" in project.dvc("status").stdout


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "is empty"),
        ("x1,x2,y\n", "no rows"),
        ("x1,y\n0.5,1\n", "no column 'x2'"),
        ("x1,x2,y\n0.5,nan,1\n1.5,2.5,0\n", "NaN or infinite"),
        ("x1,x2,y\n0.5,inf,1\n1.5,2.5,0\n", "NaN or infinite"),
        ("x1,x2,y\n0.5,0.5,2\n1.5,2.5,0\n", "labels must be 0 or 1"),
        ("x1,x2,y\n0.5,0.5,1\n1.5,2.5,1\n", "need both classes"),
        ("x1,x2,y\n0.5,abc,1\n1.5,2.5,0\n", "is not a number"),
    ],
)
def test_malformed_training_csv_is_named(
    project: Project, tmp_path: Path, content: str, needle: str
) -> None:
    """A stage pointed at a broken CSV names the file and the defect, and writes nothing."""
    before = snapshot(project)
    broken = tmp_path / "broken.csv"
    broken.write_text(content)
    result = run_stage(project, "train_logreg", "--train", str(broken))
    assert_one_line_error(result, "train_logreg", str(broken), needle)
    assert changed(before, snapshot(project)) == []


def test_diverging_run_names_epoch_and_learning_rate(project: Project, tmp_path: Path) -> None:
    """nn.learning_rate = 1e6 diverges: the stage says at which epoch, and keeps the old model."""
    before = snapshot(project)
    document = project.params()
    document["nn"]["learning_rate"] = 1e6
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(document))
    result = run_stage(project, "train_nn", "--params", str(params_file))
    assert_one_line_error(result, "train_nn", "diverged at epoch", "nn.learning_rate = 1000000.0")
    assert changed(before, snapshot(project)) == []


def test_model_file_of_the_wrong_shape_is_refused(project: Project, tmp_path: Path) -> None:
    """A model whose arrays disagree with its sidecar stops `evaluate` with the file named."""
    models = tmp_path / "models"
    models.mkdir()
    for name in ("nn.npz", "logreg.npz", "logreg.json"):
        (models / name).write_bytes(project.read(f"models/{name}"))
    sidecar = json.loads(project.read("models/nn.json"))
    sidecar["hidden_units"] += 1
    (models / "nn.json").write_text(json.dumps(sidecar))
    before = snapshot(project)
    result = run_stage(project, "evaluate", "--models", str(models))
    assert_one_line_error(result, "evaluate", "nn.npz", "shape")
    assert changed(before, snapshot(project)) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_stage_leaves_previous_outputs(
    project: Project, tmp_path: Path, signum: int
) -> None:
    """SIGINT or SIGTERM mid-training: exit non-zero, old outputs byte-identical, no temp files."""
    before = snapshot(project)
    document = project.params()
    document["nn"].update(epochs=10_000_000, log_every=100)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(document))
    with subprocess.Popen(
        [sys.executable, "stages/train_nn.py", "--params", str(params_file)],
        cwd=project.root,
        env=project.env,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        first_line = process.stderr.readline()  # training is under way once progress appears
        assert first_line.startswith("epoch")
        time.sleep(0.2)
        process.send_signal(signum)
        stderr = process.stderr.read()
        assert process.wait(timeout=30) == 130
    assert "earlier outputs left unchanged" in stderr
    assert "Traceback" not in stderr
    assert changed(before, snapshot(project)) == []
    assert "up to date" in project.dvc("status").stdout


def test_ctrl_c_during_dvc_repro_keeps_every_output(project: Project) -> None:
    """Ctrl-C (SIGINT to the process group) while `dvc repro` trains: nothing is lost."""
    before = snapshot(project)
    good = (project.root / "params.yaml").read_text()
    project.set_params(nn={"epochs": 10_000_000, "log_every": 100})
    with subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("epoch"):
                break
        os.killpg(process.pid, signal.SIGINT)
        process.stdout.read()
        assert process.wait(timeout=60) != 0
    assert changed(before, snapshot(project)) == []
    (project.root / "params.yaml").write_text(good)
    assert stages_run(project.dvc("repro").stdout) == []
