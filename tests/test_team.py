"""Working as a team: bit-for-bit reproducibility across copies, sharing experiments and the
run-cache through a git origin and a DVC remote (a folder, and S3 on a local server), and
`dvc plots diff` between two experiments.

Every scenario builds on one published baseline per kind of remote (`teams`, built once, the
two kinds at the same time): the two baselines are also the two independent copies compared
byte for byte, and each one's experiment is both the one a teammate restores and the run a
teammate's `dvc exp run --pull` takes from the run-cache."""

from __future__ import annotations

import json
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


# --- the published baselines, each with an experiment shared ---------------------------------

KINDS = ("directory", "s3")
"""The DVC remotes every sharing test runs with: a folder, and a prefix in S3 (moto)."""
SHARED_EXPERIMENT = "five-hidden"
SHARED_UNITS = 5


@dataclass
class Team:
    """A's baseline published to `remote` (see publish_baseline), then A's experiment."""

    base: Path
    remote: Remote
    a: Project
    baseline: dict[str, bytes]
    """snapshot(a) once reproduced from scratch, before any experiment."""
    results: dict[str, bytes]
    """snapshot(a) and params.yaml once the experiment SHARED_EXPERIMENT ran."""
    b: Project
    """A clone that restored the experiment the README's way, after `dvc exp push` alone."""
    runs: tuple[list[str], list[str]]
    """The remote's `runs/` before and after A's `dvc push --run-cache` (after B restored)."""


def share(base: Path, remote: Remote) -> Team:
    """A reproduces from scratch and publishes; runs and `dvc exp push`es an experiment; B clones,
    pulls and applies it; then A pushes the run-cache."""
    a = publish_baseline(base, remote, stages=STAGES)
    baseline = snapshot(a)
    ran = a.dvc("exp", "run", "-S", f"nn.hidden_units={SHARED_UNITS}", "-n", SHARED_EXPERIMENT)
    assert stages_run(ran.stdout) == ["train_nn", "evaluate", "plot"]
    results = {**snapshot(a), "params.yaml": a.read("params.yaml")}
    a.dvc("exp", "push", "origin", SHARED_EXPERIMENT)

    b = clone(base, "b")
    assert not (b.root / "models" / "nn.npz").exists()
    restore_experiment(b, SHARED_EXPERIMENT)

    runs_before = [name for name in remote.stored() if name.startswith("runs/")]
    a.dvc("push", "--run-cache")
    runs_after = [name for name in remote.stored() if name.startswith("runs/")]
    return Team(base, remote, a, baseline, results, b, (runs_before, runs_after))


@pytest.fixture(scope="module")
def teams(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> dict[str, Team]:
    """One Team per kind of remote, each in its own folder, built at the same time (their dvc
    calls are subprocesses; one thread waits on each)."""
    bases = {kind: tmp_path_factory.mktemp(f"sharing_{kind}") for kind in KINDS}
    remotes: dict[str, Remote] = {
        "directory": DirectoryRemote(bases["directory"] / "storage"),
        "s3": S3Remote(s3_endpoint, bases["s3"].name),
    }
    with ThreadPoolExecutor(len(KINDS)) as pool:
        futures = {kind: pool.submit(share, bases[kind], remotes[kind]) for kind in KINDS}
        return {kind: future.result() for kind, future in futures.items()}


# --- 1. bit-for-bit reproducibility ----------------------------------------------------------


def test_independent_copies_are_byte_identical(teams: dict[str, Team]) -> None:
    """Two fresh copies in different directories, each reproduced from scratch (the two
    baselines): every output (data, models, reports, PNGs) and dvc.lock match byte for byte."""
    one, two = (teams[kind] for kind in KINDS)
    assert one.a.root != two.a.root
    first, second = one.baseline, two.baseline
    missing = [name for name in declared_outputs(one.a) if name not in first]
    assert missing == []
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_pngs_carry_no_timestamp_or_software_metadata(teams: dict[str, Team]) -> None:
    """No tIME or text chunks, and no trace of matplotlib's Software string in the bytes, in
    every PNG that dvc.yaml declares (and there are no others)."""
    team = teams[KINDS[0]]
    declared = [name for name in declared_outputs(team.a) if name.endswith(".png")]
    pngs = sorted(name for name in team.baseline if name.startswith("reports/"))
    pngs = [name for name in pngs if name.endswith(".png")]
    assert declared and pngs == declared
    for name in pngs:
        data = team.baseline[name]
        chunks = set(png_chunk_types(data))
        assert chunks & PNG_TEXT_CHUNKS == set(), name
        assert b"tIME" not in data, name
        assert b"Software" not in data, name
        assert b"matplotlib" not in data.lower(), name


# --- 2. sharing an experiment through git + a DVC remote -------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_clone_gets_the_experiments_outputs(teams: dict[str, Team], kind: str) -> None:
    """B's metrics, models, data, plots and dvc.lock are A's experiment results, byte for byte."""
    results, b = teams[kind].results, teams[kind].b
    for name in ("reports/metrics.json", "models/nn.npz"):
        assert b.read(name) == results[name], name
    differing = [name for name in results if b.read(name) != results[name]]
    assert differing == []
    assert sorted(snapshot(b)) == sorted(name for name in results if name != "params.yaml")


@pytest.mark.parametrize("kind", KINDS)
def test_clone_has_the_experiments_params(teams: dict[str, Team], kind: str) -> None:
    assert teams[kind].b.params()["nn"]["hidden_units"] == SHARED_UNITS


@pytest.mark.parametrize("kind", KINDS)
def test_clone_status_is_up_to_date(teams: dict[str, Team], kind: str) -> None:
    b = teams[kind].b
    assert "up to date" in b.dvc("status").stdout
    assert json.loads(b.dvc("status", "--json").stdout) == {}


@pytest.mark.parametrize("kind", KINDS)
def test_clone_repro_runs_nothing(teams: dict[str, Team], kind: str) -> None:
    assert stages_run(teams[kind].b.dvc("repro").stdout) == []


# --- 3. sharing the run-cache ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_teammate_restores_a_pushed_run_instead_of_training(
    teams: dict[str, Team], kind: str
) -> None:
    """A ran an experiment and `dvc push --run-cache`; C clones, `dvc pull --run-cache`, and
    `dvc exp run --pull -S` with A's params restores train_nn instead of training; the cheap
    stages after it rerun, and every output is A's, byte for byte."""
    team = teams[kind]
    runs_before, runs_after = team.runs
    assert len(runs_after) > len(runs_before), "the new runs never reached the remote"

    c = clone(team.base, "c")
    c.dvc("pull", "--run-cache")
    ran = c.dvc("exp", "run", "--pull", "-S", f"nn.hidden_units={SHARED_UNITS}")
    assert "Stage 'train_nn' is cached - skipping run" in ran.stdout
    assert stages_run(ran.stdout) == ["evaluate", "plot"]
    results = [name for name in team.results if name != "params.yaml"]
    assert [name for name in results if c.read(name) != team.results[name]] == []


# --- 4. dvc plots diff between two experiments -----------------------------------------------

EXPERIMENTS = {SHARED_EXPERIMENT: SHARED_UNITS, "three-hidden": 3}
"""Experiment name -> nn.hidden_units: A's shared experiment, and one more."""


def test_plots_diff_shows_each_experiments_plots(teams: dict[str, Team]) -> None:
    """`dvc plots diff` between two experiments renders every plot of ours for both, and each
    revision's learning curve is that experiment's own."""
    project = teams[KINDS[0]].a
    for name, units in EXPERIMENTS.items():
        if name != SHARED_EXPERIMENT:  # run already
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
    assert curves[SHARED_EXPERIMENT] != curves["three-hidden"]
