"""The real `dvc` CLI on a throwaway copy of the project: repro, reruns, lock stability, metrics."""

from __future__ import annotations

import json

import pytest

from tests.pipeline import Project, stages_run

pytestmark = pytest.mark.pipeline

STAGES = ["generate", "split", "train_nn", "train_logreg", "evaluate", "plot"]
OUTPUTS = [
    "data/raw/dataset.csv",
    "data/split/train.csv",
    "data/split/test.csv",
    "data/split/scaler.json",
    "models/nn.npz",
    "models/nn.json",
    "models/logreg.npz",
    "models/logreg.json",
    "reports/nn/cost.csv",
    "reports/metrics/nn.json",
    "reports/metrics/logreg.json",
    "reports/predictions/nn.csv",
    "reports/predictions/logreg.csv",
    "reports/roc/nn.csv",
    "reports/roc/logreg.csv",
    "reports/figures/boundary_nn.png",
    "reports/figures/boundary_logreg.png",
    "reports/figures/comparison.png",
    "reports/figures/learning_curve.png",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """One reproduced project shared by the tests below, which run in file order."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("pipeline"))
    result = project.dvc("repro")
    assert stages_run(result.stdout) == STAGES
    project.commit("reproduce")
    return project


def test_repro_writes_every_output(project: Project) -> None:
    """The first `dvc repro` ran all six stages in DAG order and wrote every declared output."""
    missing = [name for name in OUTPUTS if not (project.root / name).is_file()]
    assert missing == []
    assert project.read("reports/figures/comparison.png").startswith(b"\x89PNG")


def test_second_repro_is_up_to_date(project: Project) -> None:
    """Nothing changed, so nothing reruns and `dvc status` is clean."""
    assert stages_run(project.dvc("repro").stdout) == []
    assert "up to date" in project.dvc("status").stdout


def test_dag_matches_design(project: Project) -> None:
    """`dvc dag --dot` has exactly the design's edges."""
    dot = project.dvc("dag", "--dot").stdout
    edges = {
        tuple(part.strip().strip('"') for part in line.rstrip(";").split("->"))
        for line in dot.splitlines()
        if "->" in line
    }
    assert edges == {
        ("generate", "split"),
        ("split", "train_nn"),
        ("split", "train_logreg"),
        ("split", "evaluate"),
        ("split", "plot"),
        ("train_nn", "evaluate"),
        ("train_nn", "plot"),
        ("train_logreg", "evaluate"),
        ("train_logreg", "plot"),
        ("evaluate", "plot"),
    }


def test_forced_repro_is_byte_identical(project: Project) -> None:
    """`dvc repro -f` reruns everything and leaves dvc.lock and every output unchanged."""
    before = {name: project.read(name) for name in [*OUTPUTS, "dvc.lock"]}
    assert stages_run(project.dvc("repro", "-f").stdout) == STAGES
    after = {name: project.read(name) for name in [*OUTPUTS, "dvc.lock"]}
    assert [name for name in before if before[name] != after[name]] == []


def test_learning_rate_change_reruns_only_dependents(project: Project) -> None:
    """Editing nn.learning_rate reruns train_nn, evaluate and plot; metrics diff shows it."""
    old_rate = project.params()["nn"]["learning_rate"]
    project.set_params(nn={"learning_rate": old_rate / 3})
    assert stages_run(project.dvc("repro").stdout) == ["train_nn", "evaluate", "plot"]

    params_diff = json.loads(project.dvc("params", "diff", "--json").stdout)
    change = params_diff["params.yaml"]["nn.learning_rate"]
    assert (change["old"], change["new"]) == (old_rate, old_rate / 3)
    metrics_diff = json.loads(project.dvc("metrics", "diff", "--json").stdout)
    nn_changes = metrics_diff["reports/metrics/nn.json"]
    assert nn_changes["log_loss"]["old"] != nn_changes["log_loss"]["new"]
    assert "reports/metrics/logreg.json" not in metrics_diff
