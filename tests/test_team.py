"""Working as a team: bit-for-bit reproducibility across copies, sharing experiments and the
run-cache through a git origin and a DVC remote (a folder, and S3 on a local server), and
`dvc plots diff` between two experiments."""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.pipeline import Project, stage_outputs, stages_run
from tests.team import (
    DirectoryRemote,
    Remote,
    S3Remote,
    clone,
    experiment_revs,
    publish_baseline,
    restore_experiment,
)

pytestmark = pytest.mark.pipeline

STAGES = ["generate", "split", "train_nn", "train_logreg", "evaluate", "plot"]
OUTPUT_DIRS = ("data", "models", "reports")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_TEXT_CHUNKS = {b"tIME", b"tEXt", b"iTXt", b"zTXt"}
"""Chunks that carry a timestamp or free text (matplotlib's Software / version strings)."""


# --- helpers ---------------------------------------------------------------------------------


def declared_outputs(project: Project) -> list[str]:
    """Every output (outs, metrics, plots) of every stage in the project's dvc.yaml."""
    stages = YAML(typ="safe").load(project.read("dvc.yaml"))["stages"]
    return sorted(output for stage in stages.values() for output in stage_outputs(stage))


def snapshot(project: Project) -> dict[str, bytes]:
    """dvc.lock and every file under data/, models/ and reports/, by relative path."""
    files = {"dvc.lock": project.read("dvc.lock")}
    for folder in OUTPUT_DIRS:
        for path in sorted((project.root / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(project.root).as_posix()] = path.read_bytes()
    return files


def png_chunk_types(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order (asserts the structure is well formed)."""
    assert data.startswith(PNG_SIGNATURE)
    types, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        types.append(data[offset + 4 : offset + 8])
        offset += 12 + length  # length, type, data, CRC
    assert offset == len(data)
    assert types[0] == b"IHDR"
    assert types[-1] == b"IEND"
    return types


def git_bytes(project: Project, rev: str, path: str) -> bytes:
    """`git show rev:path` as raw bytes (Project.run decodes text, which would mangle PNGs)."""
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        check=True,
    ).stdout


# --- 1. bit-for-bit reproducibility ----------------------------------------------------------


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Project]:
    """Two independent fresh copies in different directories, each reproduced from scratch."""
    projects = []
    for name in ("twin_one", "twin_two"):
        project = Project.copy_of_sources(tmp_path_factory.mktemp(name))
        assert stages_run(project.dvc("repro").stdout) == STAGES
        projects.append(project)
    assert projects[0].root != projects[1].root
    return projects[0], projects[1]


def test_independent_copies_are_byte_identical(twins: tuple[Project, Project]) -> None:
    """Every output (data, models, reports, PNGs) and dvc.lock match byte for byte."""
    one, two = twins
    first, second = snapshot(one), snapshot(two)
    missing = [name for name in declared_outputs(one) if name not in first]
    assert missing == []
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_pngs_carry_no_timestamp_or_software_metadata(twins: tuple[Project, Project]) -> None:
    """No tIME or text chunks, and no trace of matplotlib's Software string in the bytes, in
    every PNG that dvc.yaml declares (and there are no others)."""
    root = twins[0].root
    declared = [name for name in declared_outputs(twins[0]) if name.endswith(".png")]
    pngs = sorted(str(path.relative_to(root)) for path in (root / "reports").rglob("*.png"))
    assert declared and pngs == declared
    for path in (root / name for name in pngs):
        data = path.read_bytes()
        chunks = set(png_chunk_types(data))
        assert chunks & PNG_TEXT_CHUNKS == set(), path.name
        assert b"tIME" not in data, path.name
        assert b"Software" not in data, path.name
        assert b"matplotlib" not in data.lower(), path.name


# --- 2. sharing an experiment through git + a DVC remote -------------------------------------

SHARED_EXPERIMENT = "five-hidden"


@pytest.fixture(scope="module", params=["directory", "s3"])
def new_remote(request: pytest.FixtureRequest) -> Callable[[Path], Remote]:
    """Makes the DVC remote for a sharing test: a folder in `base`, or a prefix named after
    `base` in S3 (a moto server on 127.0.0.1); every sharing test runs with each."""
    if request.param == "directory":
        return lambda base: DirectoryRemote(base / "storage")
    endpoint = request.getfixturevalue("s3_endpoint")
    return lambda base: S3Remote(endpoint, base.name)


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, new_remote: Callable[[Path], Remote]
) -> tuple[dict[str, bytes], Project]:
    """A runs and pushes an experiment; B clones, pulls, applies it. Returns (A's results, B)."""
    base = tmp_path_factory.mktemp("sharing")
    a = publish_baseline(base, new_remote(base))
    ran = a.dvc("exp", "run", "-S", "nn.hidden_units=5", "-n", SHARED_EXPERIMENT)
    assert stages_run(ran.stdout) == ["train_nn", "evaluate", "plot"]
    results = {**snapshot(a), "params.yaml": a.read("params.yaml")}
    a.dvc("exp", "push", "origin", SHARED_EXPERIMENT)

    b = clone(base, "b")
    assert not (b.root / "models" / "nn.npz").exists()
    restore_experiment(b, SHARED_EXPERIMENT)
    return results, b


def test_clone_gets_the_experiments_outputs(shared: tuple[dict[str, bytes], Project]) -> None:
    """B's metrics, models, data, plots and dvc.lock are A's experiment results, byte for byte."""
    results, b = shared
    for name in ("reports/metrics.json", "models/nn.npz"):
        assert b.read(name) == results[name], name
    differing = [name for name in results if b.read(name) != results[name]]
    assert differing == []
    assert sorted(snapshot(b)) == sorted(name for name in results if name != "params.yaml")


def test_clone_has_the_experiments_params(shared: tuple[dict[str, bytes], Project]) -> None:
    _, b = shared
    assert b.params()["nn"]["hidden_units"] == 5


def test_clone_status_is_up_to_date(shared: tuple[dict[str, bytes], Project]) -> None:
    _, b = shared
    assert "up to date" in b.dvc("status").stdout
    assert json.loads(b.dvc("status", "--json").stdout) == {}


def test_clone_repro_runs_nothing(shared: tuple[dict[str, bytes], Project]) -> None:
    _, b = shared
    assert stages_run(b.dvc("repro").stdout) == []


# --- 3. sharing the run-cache ------------------------------------------------------------------


def test_teammate_restores_a_pushed_run_instead_of_training(
    tmp_path_factory: pytest.TempPathFactory, new_remote: Callable[[Path], Remote]
) -> None:
    """A runs an experiment and `dvc push --run-cache`; B clones, `dvc pull --run-cache`, and
    `dvc exp run --pull -S` with A's params restores train_nn instead of training; the cheap
    stages after it rerun, and every output is A's, byte for byte."""
    base = tmp_path_factory.mktemp("run_cache")
    remote = new_remote(base)
    a = publish_baseline(base, remote)
    assert stages_run(a.dvc("exp", "run", "-S", "nn.hidden_units=7").stdout)
    results = snapshot(a)
    runs_before = [name for name in remote.stored() if name.startswith("runs/")]
    a.dvc("push", "--run-cache")
    runs_after = [name for name in remote.stored() if name.startswith("runs/")]
    assert len(runs_after) > len(runs_before), "the new runs never reached the remote"

    b = clone(base, "b")
    b.dvc("pull", "--run-cache")
    ran = b.dvc("exp", "run", "--pull", "-S", "nn.hidden_units=7")
    assert "Stage 'train_nn' is cached - skipping run" in ran.stdout
    assert stages_run(ran.stdout) == ["evaluate", "plot"]
    assert [name for name in results if b.read(name) != results[name]] == []


# --- 4. dvc plots diff between two experiments -----------------------------------------------

EXPERIMENTS = {"exp-a": 3, "exp-b": 6}
"""Experiment name -> nn.hidden_units."""


def test_plots_diff_shows_each_experiments_plots(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`dvc plots diff exp-a exp-b` renders every plot of ours for both experiments, and each
    revision's learning curve is that experiment's own."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("plots_diff"))
    project.dvc("repro")
    project.commit("reproduce")
    for name, units in EXPERIMENTS.items():
        project.dvc("exp", "run", "-S", f"nn.hidden_units={units}", "-n", name)
    revs = experiment_revs(project)
    assert sorted(revs) == sorted(EXPERIMENTS)
    shown = json.loads(project.dvc("plots", "diff", *EXPERIMENTS, "--json").stdout)
    assert set(shown["data"]) == set(declared_outputs(project)) - {
        name for name in declared_outputs(project) if not name.startswith("reports/")
    } - {"reports/metrics.json"}
    for plot, renders in shown["data"].items():
        revisions = {rev for render in renders for rev in render.get("revisions", [])}
        assert revisions == set(EXPERIMENTS), plot
    curves = {name: git_bytes(project, rev, "reports/nn/cost.csv") for name, rev in revs.items()}
    assert curves["exp-a"] != curves["exp-b"]
