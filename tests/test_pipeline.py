"""The real `dvc` CLI on a throwaway copy of the project: repro, reruns, lock stability, metrics,
and DVC's run-cache restoring earlier results instead of recomputing them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML

from tests.pipeline import ROOT, Project, stages_run

pytestmark = pytest.mark.pipeline

STAGES = ["generate", "split", "train_nn", "train_logreg", "evaluate", "plot"]
OUTPUTS = [
    "data/raw/dataset.csv",
    "data/split/train.csv",
    "data/split/test.csv",
    "data/split/scaler.npz",
    "models/nn.npz",
    "models/logreg.npz",
    "reports/metrics.json",
    "reports/nn/cost.csv",
    "reports/predictions/nn.csv",
    "reports/predictions/logreg.csv",
    "reports/roc.csv",
    "reports/figures/comparison.png",
    "reports/figures/learning_curve.png",
]
CACHED = "is cached - skipping run"


def snapshot(project: Project) -> dict[str, bytes]:
    return {name: project.read(name) for name in [*OUTPUTS, "dvc.lock"]}


def differing(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


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
    assert set(json.loads(project.read("reports/metrics.json"))) == {"nn", "logreg", "compare"}


def test_second_repro_is_up_to_date(project: Project) -> None:
    """Nothing changed, so nothing reruns and `dvc status` is clean: the `src/scratchnet`
    dependency ignores the `__pycache__` that Python writes there."""
    cache = project.root / "src" / "scratchnet" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "planted.cpython-311.pyc").write_bytes(b"bytecode")
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


def test_plot_definitions_name_columns_the_stages_write(project: Project) -> None:
    """Every x and y a plot in dvc.yaml asks for is a column of the CSV its stage writes."""
    stages = YAML(typ="safe").load(project.read("dvc.yaml"))["stages"]
    definitions = [item for stage in stages.values() for item in stage.get("plots", [])]
    tables = {path: props for item in definitions for path, props in item.items() if "x" in props}
    assert len(tables) == 4
    for path, props in tables.items():
        header = project.read(path).decode().splitlines()[0].split(",")
        assert {props["x"], props["y"]} <= set(header), path


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, bytes]]:
    """Snapshots the tests below share, by learning rate."""
    return {}


def test_learning_rate_change_reruns_only_dependents(
    project: Project, results: dict[str, dict[str, bytes]]
) -> None:
    """Editing nn.learning_rate reruns train_nn, evaluate and plot; metrics diff shows it under
    names without file paths."""
    old_rate = project.params()["nn"]["learning_rate"]
    results[str(old_rate)] = snapshot(project)
    project.set_params(nn={"learning_rate": old_rate / 3})
    assert stages_run(project.dvc("repro").stdout) == ["train_nn", "evaluate", "plot"]
    results[str(old_rate / 3)] = snapshot(project)

    params_diff = json.loads(project.dvc("params", "diff", "--json").stdout)
    change = params_diff["params.yaml"]["nn.learning_rate"]
    assert (change["old"], change["new"]) == (old_rate, old_rate / 3)
    metrics_diff = json.loads(project.dvc("metrics", "diff", "--json").stdout)
    changes = metrics_diff["reports/metrics.json"]
    assert changes["nn.log_loss"]["old"] != changes["nn.log_loss"]["new"]
    assert not any(name.startswith("logreg.") for name in changes)


def test_returning_to_earlier_params_restores_from_the_run_cache(
    project: Project, results: dict[str, dict[str, bytes]]
) -> None:
    """Learning rate 0.9 → 0.3 → 0.9: the last `dvc repro` trains nothing; every changed stage
    is restored from the run-cache, byte-identical to the first run, dvc.lock included."""
    [rate, _] = results
    project.set_params(nn={"learning_rate": float(rate)})
    result = project.dvc("repro")
    assert stages_run(result.stdout) == []
    for stage in ("train_nn", "evaluate", "plot"):
        assert f"Stage '{stage}' {CACHED}" in result.stdout
    assert differing(results[rate], snapshot(project)) == []
    assert "up to date" in project.dvc("status").stdout


def test_exp_run_restores_from_the_run_cache(
    project: Project, results: dict[str, dict[str, bytes]]
) -> None:
    """`dvc exp run -S` with parameters that ran before is a restore, not a retrain."""
    [_, rate] = results
    result = project.dvc("exp", "run", "-S", f"nn.learning_rate={rate}")
    assert stages_run(result.stdout) == []
    assert f"Stage 'train_nn' {CACHED}" in result.stdout
    assert differing(results[rate], snapshot(project)) == []


NN_METRICS = {
    "nn.accuracy",
    "nn.accuracy_lower",
    "nn.accuracy_upper",
    "nn.f1",
    "nn.log_loss",
    "nn.precision",
    "nn.recall",
    "nn.roc_auc",
    "nn.roc_auc_lower",
    "nn.roc_auc_upper",
    "nn.train_accuracy",
}
COMPARE_METRICS = {
    "compare.accuracy_difference",
    "compare.accuracy_difference_lower",
    "compare.accuracy_difference_upper",
    "compare.logreg_only_correct",
    "compare.mcnemar_log10_p",
    "compare.nn_only_correct",
}


def test_exp_show_names_metrics_plainly(project: Project) -> None:
    """After `dvc exp run -S nn.hidden_units=4` (named `four`), the metrics `--only-changed
    --csv` lists are exactly the network's and the comparison's (logistic regression's did not
    change), each a scalar under a plain name (no file-path prefix, no confusion counts); beside
    them only the row labels, the parameters that differ and the files they changed."""
    project.git("checkout", "--", "params.yaml")  # as the README advises between experiments
    project.dvc("exp", "remove", "--all-commits")  # the learning-rate experiments above
    project.dvc("exp", "run", "-S", "nn.hidden_units=4", "-n", "four")  # the README's first
    header = project.dvc("exp", "show", "--only-changed", "--csv").stdout.splitlines()[0]
    columns = set(header.split(","))
    metrics = json.loads(project.read("reports/metrics.json"))
    names = {f"{group}.{name}" for group, scores in metrics.items() for name in scores}
    assert columns & names == NN_METRICS | COMPARE_METRICS
    others = columns - names
    assert {"Experiment", "rev", "typ", "Created", "nn.hidden_units"} <= others
    assert all(
        column.startswith("nn.") or ("/" in column and ":" not in column)
        for column in others - {"Experiment", "rev", "typ", "Created"}
    ), others  # parameters and the files they changed


def test_the_readmes_comparing_commands_rank_the_experiment(project: Project) -> None:
    """After the README's first experiment (`four`, run by the test above, the only one), its
    comparing commands run as written: DVC's own table sorted by the network's accuracy, and
    compare.py's ranking within 80 columns, naming what the experiment changed."""
    assert project.dvc("exp", "list", "--name-only").stdout.split() == ["four"]
    readme = (ROOT / "README.md").read_text()
    [sort] = re.findall(r"^dvc exp show --sort-by [^#]*", readme, flags=re.MULTILINE)
    table = project.dvc(*shlex.split(sort)[1:]).stdout
    assert "four" in table
    ranking = project.run(sys.executable, "tools/compare.py").stdout
    assert max(len(line) for line in ranking.splitlines()) <= 80, ranking
    [row] = [line for line in ranking.splitlines() if line.lstrip().startswith("four")]
    assert "hidden_units=4" in row, ranking


def test_integral_float_param_is_up_to_date_and_reruns_byte_identical(project: Project) -> None:
    """`nn.hidden_units: 40.0`: DVC compares params by value, so `dvc status` calls it up to
    date; the stages take it as 40, so `dvc repro -f` reruns all six stages and writes every
    output with the same bytes, and dvc.lock too but for the 40.0 it records (every hash
    unchanged: a forced repro is byte-identical)."""
    project.git("checkout", "--", "params.yaml")
    project.dvc("repro")
    before = snapshot(project)
    units = project.params()["nn"]["hidden_units"]
    project.set_params(nn={"hidden_units": float(units)})
    assert f"hidden_units: {units}.0" in project.read("params.yaml").decode()
    assert "up to date" in project.dvc("status").stdout
    assert stages_run(project.dvc("repro", "-f").stdout) == STAGES
    after = snapshot(project)
    assert differing(before, after) == ["dvc.lock"]  # which records 40.0
    recorded = f"hidden_units: {units}\n".encode()
    assert before["dvc.lock"].count(recorded) == 3  # train_nn's, evaluate's and plot's nn params
    as_float = before["dvc.lock"].replace(recorded, f"hidden_units: {units}.0\n".encode())
    assert after["dvc.lock"] == as_float


def test_a_fifo_or_a_new_file_in_data_own_neither_hangs_dvc_nor_reruns_generate(
    project: Project,
) -> None:
    """generate depends on the one file `data.file` names, not on data/own/: DVC hashes no
    other file there, so a FIFO there does not hang `dvc status`, and a file added there leaves
    the flower data set up to date."""
    project.git("checkout", "--", "params.yaml")
    project.dvc("repro")
    own = project.root / "data" / "own"
    os.mkfifo(own / "f.csv")
    (own / "new.csv").write_text("x1,x2,y\n0,0,0\n1,1,1\n")
    try:
        status = subprocess.run(
            [sys.executable, "-m", "dvc", "status"],
            cwd=project.root,
            env=project.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        (own / "f.csv").unlink()
        (own / "new.csv").unlink()
    assert (status.returncode, status.stderr) == (0, "")
    assert "up to date" in status.stdout


def test_own_data_is_a_dependency(project: Project) -> None:
    """`data.kind: own` runs the experiment on the file `data.file` names, and editing the file
    makes `generate` (and everything after it) stale."""
    project.git("checkout", "--", "params.yaml")
    project.set_params(data={"kind": "own", "file": "data/own/example.csv"})
    assert stages_run(project.dvc("repro").stdout) == STAGES
    assert project.read("data/raw/dataset.csv") == project.read("data/own/example.csv")
    example = project.root / "data" / "own" / "example.csv"
    example.write_text(example.read_text().replace("\n1.0,", "\n1.5,", 1))
    assert "generate" in project.dvc("status", "--json").stdout
    assert stages_run(project.dvc("repro").stdout)[:1] == ["generate"]


def test_committed_lock_matches_the_committed_code_and_params(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """dvc.lock as committed records the current scripts, package, params and commands: in a
    copy without outputs, DVC finds only missing files, nothing modified."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("lock"))
    for name in ("dvc.lock", "params.yaml"):
        shutil.copy2(ROOT / name, project.root / name)
    status = json.loads(project.dvc("status", "--json").stdout)
    stale = {
        stage: change
        for stage, changes in status.items()
        for change in changes
        if isinstance(change, dict)
        and (
            set(change) - {"changed deps", "changed outs"}
            or any(state != "deleted" for state in change.get("changed deps", {}).values())
        )
    }
    assert stale == {}


def spreadsheet_csv(rows: int, features: int) -> bytes:
    """A CSV as a spreadsheet exports it: UTF-8 BOM, quoted header of names with spaces and
    non-ASCII letters, CRLF, spaces around fields, string labels (a nonlinear rule)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((rows, features))
    malignant = x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0
    names = [f"feature {i} (mm)" for i in range(features - 1)] + ["Größe"]
    lines = [",".join(f'"{name}"' for name in [*names, "diagnosis"])]
    for values, label in zip(x.tolist(), malignant.tolist(), strict=True):
        cells = [f" {value!r} " for value in values]
        lines.append(",".join([*cells, '"malignant"' if label else '"benign"']))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def spreadsheet_runs(root: Path) -> list[tuple[int, str, dict, bytes]]:
    """The spreadsheet test's two experiments, in a project of its own at `root`: for all 30
    features, then three picked by name, (width, data set header, metrics, comparison figure)."""
    project = Project.copy_of_sources(root)
    (project.root / "data" / "own" / "sheet.csv").write_bytes(spreadsheet_csv(300, 30))
    project.commit("a spreadsheet")
    chosen = '["Größe", "feature 2 (mm)", "feature 1 (mm)"]'
    runs = []
    for features, width in (("null", 30), (chosen, 3)):
        project.dvc(
            "exp", "run", "-S", "data.kind=own", "-S", "data.file=data/own/sheet.csv",
            "-S", "data.label=diagnosis",
            "-S", "data.positive=malignant", "-S", f"data.features={features}",
        )  # fmt: skip
        header = project.read("data/raw/dataset.csv").decode().splitlines()[0]
        metrics = json.loads(project.read("reports/metrics.json"))
        runs.append((width, header, metrics, project.read("reports/figures/comparison.png")))
    return runs


MINI_BATCH_OUTPUTS = [
    "models/nn.npz",
    "reports/metrics.json",
    "reports/nn/cost.csv",
    "reports/figures/comparison.png",
    "reports/figures/learning_curve.png",
]


def mini_batch_adam_runs(root: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The issue's experiment in a project of its own at `root`, then `dvc repro -f`: the
    outputs after each."""
    project = Project.copy_of_sources(root)
    flags = ["nn.batch_size=64", "nn.optimizer=adam", "nn.learning_rate=0.01"]
    project.dvc("exp", "run", *(word for flag in flags for word in ("-S", flag)))
    first = {name: project.read(name) for name in MINI_BATCH_OUTPUTS}
    project.dvc("repro", "-f")
    return first, {name: project.read(name) for name in MINI_BATCH_OUTPUTS}


@pytest.fixture(scope="module", autouse=True)
def alongside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """The tests below that need a project of their own start at the module's start, each on a
    thread, and run their `dvc` commands while the shared project's tests above run theirs (on
    the core the other test process leaves free); each test waits for its runs and checks them."""
    work = {"spreadsheet": spreadsheet_runs, "mini_batch_adam": mini_batch_adam_runs}
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        yield {
            name: pool.submit(function, tmp_path_factory.mktemp(name))
            for name, function in work.items()
        }


def test_a_spreadsheet_export_runs_through_dvc_with_no_edits(
    alongside: dict[str, Future],
) -> None:
    """A 30-feature spreadsheet CSV with string labels runs through `dvc exp run -S` as the
    README shows it: named columns in the data set, the probability figure, both models
    scored; the README's list syntax for data.features picks three columns by name."""
    runs = alongside["spreadsheet"].result()
    assert [width for width, *_ in runs] == [30, 3]
    for width, header, metrics, figure in runs:
        assert header.split(",")[-1] == "diagnosis"
        assert len(header.split(",")) == width + 1
        assert "Größe" in header
        assert (width == 30) != header.startswith("Größe,feature 2 (mm),feature 1 (mm),")
        assert 0.5 < metrics["logreg"]["accuracy"] <= 1
        assert figure.startswith(b"\x89PNG")


def test_a_mini_batch_adam_experiment_is_byte_identical_on_a_rerun(
    alongside: dict[str, Future],
) -> None:
    """The issue's experiment (`-S nn.batch_size=64 -S nn.optimizer=adam -S
    nn.learning_rate=0.01`) runs on the flower data, and `dvc repro -f` writes every output
    again with the same bytes."""
    first, again = alongside["mini_batch_adam"].result()
    assert json.loads(first["reports/metrics.json"])["nn"]["accuracy"] > 0.8
    assert again == first
