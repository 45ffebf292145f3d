"""Faults end in one line and a non-zero exit, leave no half-written or temporary file, and
`dvc repro` gets the previous results back from the run-cache once the cause is fixed."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML

from scratchnet import modelfiles
from tests.pipeline import Project, stage_command, stages_run

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


def temporary_files(project: Project) -> list[Path]:
    return sorted(path for folder in OUTPUT_DIRS for path in (project.root / folder).rglob("*.tmp"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project.copy_of_sources(tmp_path_factory.mktemp("faults"))
    project.dvc("repro")
    project.commit("reproduce")
    return project


@pytest.fixture
def restored(project: Project):
    """After the test: committed params back, and `dvc repro` restores every output from the
    run-cache without running a stage."""
    before = snapshot(project)
    yield project
    project.git("checkout", "--", "params.yaml")
    assert stages_run(project.dvc("repro").stdout) == []
    assert changed(before, snapshot(project)) == []
    assert temporary_files(project) == []


@pytest.fixture
def untouched(project: Project):
    """For a test that runs stages itself (not `dvc repro`) with edited params: after it, the
    committed params back, and every output and dvc.lock as before, with no temporary file.
    `restored`'s check without its `dvc repro`, which these leave nothing to run."""
    before = snapshot(project)
    yield project
    project.git("checkout", "--", "params.yaml")
    assert changed(before, snapshot(project)) == []
    assert temporary_files(project) == []


def run_stage(project: Project, name: str, **paths: Path) -> subprocess.CompletedProcess[str]:
    return project.run(*stage_command(project, name, **paths), check=False)


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], stage: str, *needles: str
) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{stage}: error: ")
    for needle in needles:
        assert needle in lines[0]


def set_raw(project: Project, section: str, key: str, text: str) -> None:
    """Write `key: text` verbatim into `section` of params.yaml (no YAML library in between)."""
    lines, current = [], None
    for line in project.read("params.yaml").decode().splitlines():
        if line and not line.startswith((" ", "#")):
            current = line.split(":")[0]
        elif current == section and line.strip().startswith(f"{key}:"):
            line = f"  {key}: {text}"
        lines.append(line)
    (project.root / "params.yaml").write_text("\n".join(lines) + "\n")


# --- params: the stages read exactly what DVC records ------------------------------------------


TRICKY_RUNS = {
    "epochs": ("010", 10),  # YAML 1.1 would read octal 8
    "hidden_units": ("0x10", 16),
    "init_scale": ("1e-12", 1e-12),  # YAML 1.1 would read a string
    "learning_rate": (".5", 0.5),
}
"""nn keys, the text written for each and the value YAML 1.2 (DVC) reads: one run for all."""


def test_tricky_scalars_run_with_the_values_dvc_lock_records(restored: Project) -> None:
    project = restored
    for key, (text, _) in TRICKY_RUNS.items():
        set_raw(project, "nn", key, text)
    assert stages_run(project.dvc("repro", "train_nn").stdout) == ["train_nn"]
    recorded = YAML(typ="safe").load(project.read("dvc.lock"))["stages"]["train_nn"]["params"]
    trained = modelfiles.read_network(project.root / "models" / "nn.npz", 2)
    assert dataclasses.asdict(trained.config) == recorded["params.yaml"]["nn"]
    assert {key: recorded["params.yaml"]["nn"][key] for key in TRICKY_RUNS} == {
        key: value for key, (_, value) in TRICKY_RUNS.items()
    }
    assert trained.cost_history.size == trained.config.epochs


TRICKY_REFUSED = [
    # (section, key, text, stage, message); the first three run the stage alone in the fault
    # table (tests/test_fault_table.py: "params: sexagesimal 1:00", "params: null" and
    # "params: yes is not a boolean"), the fourth only here
    ("nn", "epochs", "1:00", "train_nn", "nn.epochs = '1:00' is invalid"),  # 1.1: 60
    ("nn", "seed", "~", "train_nn", "nn.seed = None is invalid"),
    ("split", "stratify", "yes", "split", "split.stratify = 'yes' is invalid"),
    ("split", "standardize", "on", "split", "split.standardize = 'on' is invalid"),
]


def test_bad_params_under_dvc_repro_are_one_line_and_fixed_by_fixing_them(
    restored: Project,
) -> None:
    """A tricky scalar YAML 1.1 would read otherwise is refused in one line naming the key, by
    the stage and under `dvc repro`; a bad value stops `dvc repro` naming key and value. Once
    fixed (params checked out), the run-cache brings back the outputs DVC removed before
    running the stage (`restored`). One project, restored once, for every case."""
    project = restored
    project.set_params(nn={"learning_rate": -1})
    result = project.dvc("repro", check=False)
    assert result.returncode != 0
    assert "nn.learning_rate = -1" in result.stderr and "> 0" in result.stderr
    project.git("checkout", "--", "params.yaml")
    for section, key, text, stage, message in TRICKY_REFUSED:  # split last: `restored` then
        set_raw(project, section, key, text)  # brings back both stages' outputs, running neither
        if key == "standardize":
            assert_one_line_error(run_stage(project, stage), stage, message)
        result = project.dvc("repro", stage, check=False)
        assert result.returncode != 0, (text, result.stderr)
        assert f"{stage}: error: {message}" in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.stderr, (text, result.stderr)
        project.git("checkout", "--", "params.yaml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("  epochs:", "  epochs: 5\n  epochs:"), "duplicate key"),
        (lambda text: text.replace("nn:\n", "nn: [\n"), "params.yaml:"),
    ],
    ids=["duplicate-key", "syntax-error"],
)
def test_yaml_defect_is_one_line_with_file_line_and_column(
    untouched: Project, edit, message: str
) -> None:
    project = untouched
    path = project.root / "params.yaml"
    path.write_text(edit(path.read_text()))
    result = run_stage(project, "train_nn")
    assert_one_line_error(result, "train_nn", message)
    assert re.search(r"params\.yaml:\d+:\d+: ", result.stderr)


# --- bad inputs (tests/test_fault_table.py has the full table) -------------------------------


def test_diverging_run_names_epoch_and_learning_rate(untouched: Project, tmp_path: Path) -> None:
    """nn.learning_rate = 1e6 diverges: the stage says at which epoch, and writes no model."""
    project = untouched
    project.set_params(nn={"learning_rate": 1e6})
    model = tmp_path / "nn.npz"
    result = run_stage(project, "train_nn", model=model)
    assert_one_line_error(result, "train_nn", "diverged at epoch", "nn.learning_rate = 1000000.0")
    assert list(tmp_path.iterdir()) == []


def test_model_file_of_the_wrong_shape_is_refused(project: Project, tmp_path: Path) -> None:
    """A network file whose arrays disagree with its params stops `evaluate`, naming it."""
    trained = modelfiles.read_network(project.root / "models" / "nn.npz", 2)
    arrays = {**trained.network.arrays(), "cost": trained.cost_history}
    arrays["w1"] = np.vstack([arrays["w1"], arrays["w1"][:1]])  # one hidden unit too many
    broken = tmp_path / "nn.npz"
    meta = {"format_version": modelfiles.FORMAT_VERSION, "kind": "nn"}
    meta["nn"] = dataclasses.asdict(trained.config)
    with broken.open("wb") as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)
    metrics = tmp_path / "metrics.json"
    result = run_stage(project, "evaluate", nn=broken, metrics=metrics)
    assert_one_line_error(result, "evaluate", str(broken), "w1 has shape")
    assert not metrics.exists()


# --- interruptions ----------------------------------------------------------------------------


def long_training(project: Project, tmp_path: Path) -> list[str]:
    """train_nn for far longer than any test waits, writing its model under tmp_path."""
    params = tmp_path / "params.yaml"
    text = project.read("params.yaml").decode()
    params.write_text(re.sub(r"epochs: \d+", "epochs: 10000000", text))
    return stage_command(project, "train_nn", params=params, model=tmp_path / "nn.npz")


@pytest.mark.parametrize(
    ("moment", "signum"), [("importing", signal.SIGINT), ("training", signal.SIGTERM)]
)
def test_interrupted_stage_ends_in_one_line_and_writes_nothing(
    project: Project, tmp_path: Path, signum: int, moment: str
) -> None:
    """SIGINT while NumPy is still being imported, SIGTERM mid-training: exit 130, one line, no
    traceback, no output and no temporary file. Both signals go through one handler
    (stages/_stage.py), so each moment takes one of them."""
    command = long_training(project, tmp_path)
    if moment == "importing":  # Python reports each import as it completes: wait for numpy's
        command.insert(1, "-Ximporttime")
    with subprocess.Popen(
        command, cwd=project.root, env=project.env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        marker = "numpy" if moment == "importing" else "epoch"
        for line in process.stderr:
            if marker in line:
                break
        process.send_signal(signum)
        stderr = process.stderr.read()
        assert process.wait(timeout=30) == 130
    messages = [line for line in stderr.splitlines() if not line.startswith("import time:")]
    assert len(messages) == 1, stderr
    assert messages[0].startswith("train_nn: ")
    assert "no output was written" in messages[0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["params.yaml"]


def test_a_killed_runs_temporary_file_is_removed_by_the_next_run(
    project: Project, tmp_path: Path
) -> None:
    """SIGKILL cannot be caught: whatever temporary file it leaves, the next run removes."""
    command = long_training(project, tmp_path)
    leftover = tmp_path / ".nn.npz.k1ll3d.tmp"
    leftover.write_bytes(b"half a model")
    with subprocess.Popen(
        command, cwd=project.root, env=project.env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        process.stderr.readline()
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
    assert leftover.exists()
    params = tmp_path / "params.yaml"
    params.write_text(re.sub(r"epochs: \d+", "epochs: 5", params.read_text()))
    project.run(*command)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["nn.npz", "params.yaml"]


@contextlib.contextmanager
def repro_once_training(project: Project) -> Iterator[subprocess.Popen[str]]:
    """`dvc repro` in its own process group (stdout and stderr together), handed over once
    train_nn prints its first epoch."""
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
        yield process


def test_ctrl_c_during_dvc_repro_is_undone_by_the_run_cache(restored: Project) -> None:
    """Ctrl-C (SIGINT to the process group) while `dvc repro` trains: no temporary file, and
    once params are back, `dvc repro` restores everything without training."""
    project = restored
    project.set_params(nn={"epochs": 10_000_000, "log_every": 100})
    with repro_once_training(project) as process:
        time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        process.stdout.read()  # type: ignore[union-attr]
        assert process.wait(timeout=60) != 0
    assert temporary_files(project) == []


def test_params_edited_while_training_stop_the_stage_before_it_writes(
    project: Project, tmp_path: Path
) -> None:
    """`nn.hidden_units` edited while train_nn trains: one line naming the key and both values,
    exit 1, no model (DVC would have recorded 5 units for a 40-unit model)."""
    params = tmp_path / "params.yaml"
    text = re.sub(r"epochs: \d+", "epochs: 4000", project.read("params.yaml").decode())
    params.write_text(text)
    command = stage_command(project, "train_nn", params=params, model=tmp_path / "nn.npz")
    with subprocess.Popen(
        command, cwd=project.root, env=project.env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("epoch"), first
        params.write_text(text.replace("hidden_units: 40", "hidden_units: 5"))
        stderr = process.stderr.read()
        assert process.wait(timeout=120) == 1, stderr
    messages = [line for line in stderr.splitlines() if not line.startswith("epoch")]
    assert messages == [
        f"train_nn: error: {params} changed while the stage ran (nn.hidden_units: 40 -> 5); "
        "nothing was written; run it again"
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["params.yaml"]


def test_params_edited_during_dvc_repro_are_never_recorded_for_the_old_run(
    restored: Project,
) -> None:
    """The issue's case: params edited while `dvc repro` trains. The stage fails, so dvc.lock
    keeps no record of a 40-unit model under hidden_units 5 and the run-cache none to spread."""
    project = restored
    project.set_params(nn={"epochs": 4000, "log_every": 100, "seed": 71})
    runs = project.root / ".dvc" / "cache" / "runs"
    runs_before = sorted(runs.rglob("*"))
    with repro_once_training(project) as process:
        project.set_params(nn={"hidden_units": 5})
        output = process.stdout.read()  # type: ignore[union-attr]
        assert process.wait(timeout=300) != 0, output
    assert (
        "train_nn: error: params.yaml changed while the stage ran (nn.hidden_units: 40 -> 5)"
        in output
    )
    assert not (project.root / "models" / "nn.npz").exists()
    assert sorted(runs.rglob("*")) == runs_before


def test_plot_interrupted_while_drawing_its_second_figure_leaves_neither(
    project: Project, tmp_path: Path
) -> None:
    """SIGINT once the first figure is made (its temporary file there), while the second is
    drawn: exit 130, one line, no figure and no temporary file."""
    out = tmp_path / "figures"
    paths = {"comparison": out / "comparison.png", "learning_curve": out / "learning_curve.png"}
    command = stage_command(project, "plot", **paths)
    with subprocess.Popen(
        command, cwd=project.root, env=project.env, stderr=subprocess.PIPE, text=True
    ) as process:
        deadline = time.monotonic() + 60
        while not list(out.glob("*comparison.png*")) and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(0.05)  # the first figure is written; the second takes far longer to draw
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        stderr = process.stderr.read()
        assert process.wait(timeout=30) == 130, stderr
    assert list(out.iterdir()) == []
    assert stderr == f"plot: interrupted (signal {signal.SIGINT:d}); no output was written\n"


SHUTDOWN_SIGNAL = """
import os, signal, time


class _SignalAtShutdown:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)


_kept = _SignalAtShutdown()
"""
"""A sitecustomize module whose object, torn down with the modules as the interpreter shuts
down, sends the process SIGTERM: a signal in the last milliseconds of a stage, every time."""


def test_a_signal_during_shutdown_cannot_end_a_stage_without_a_line(
    project: Project, tmp_path: Path
) -> None:
    """A stage ends by os._exit once its line is out: no interpreter shutdown, during which a
    signal would end it silently (status -15 and nothing on stderr)."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SHUTDOWN_SIGNAL)
    env = {
        **project.env,
        "PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{project.env['PYTHONPATH']}",
    }
    command = stage_command(project, "train_logreg", model=tmp_path / "logreg.npz")
    result = subprocess.run(
        command, cwd=project.root, env=env, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, ""), result
    assert result.stdout.startswith("train_logreg: wrote ")
    assert (tmp_path / "logreg.npz").exists()


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_every_line_survives_a_locale_without_the_characters_it_prints(
    project: Project, tmp_path: Path, encoding: str
) -> None:
    """Paths with a character the locale cannot encode (€) print escaped, never a traceback:
    the error line, and the line saying what was written."""
    env = {**project.env, "PYTHONIOENCODING": encoding}
    missing = stage_command(project, "train_logreg", train=tmp_path / "€.csv")
    result = subprocess.run(
        missing, cwd=project.root, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    not_found = f"{tmp_path}/\\u20ac.csv not found: run the stage that writes it first"
    assert result.stderr == f"train_logreg: error: {not_found} (dvc repro)\n"
    written = stage_command(project, "train_logreg", model=tmp_path / "€.npz")
    result = subprocess.run(
        written, cwd=project.root, env=env, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert result.stdout.startswith(f"train_logreg: wrote {tmp_path}/\\u20ac.npz (")
    assert (tmp_path / "€.npz").exists()
