"""Working as a team: bit-for-bit reproducibility across copies, sharing experiments through a
git origin and a DVC remote, and `dvc plots diff` between two experiments."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.pipeline import Project, stages_run

pytestmark = pytest.mark.pipeline

STAGES = ["generate", "split", "train_nn", "train_logreg", "evaluate", "plot"]
OUTPUT_DIRS = ("data", "models", "reports")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_TEXT_CHUNKS = {b"tIME", b"tEXt", b"iTXt", b"zTXt"}
"""Chunks that carry a timestamp or free text (matplotlib's Software / version strings)."""


# --- helpers ---------------------------------------------------------------------------------


def declared_outputs(project: Project) -> list[str]:
    """Every `outs` path of every stage in the project's dvc.yaml."""
    stages = yaml.safe_load((project.root / "dvc.yaml").read_text())["stages"]
    return sorted(
        next(iter(out)) if isinstance(out, dict) else out
        for stage in stages.values()
        for out in stage.get("outs", [])
    )


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


def experiment_revs(project: Project) -> dict[str, str]:
    """Experiment name -> commit SHA, from `dvc exp show --json`."""
    revs = {}
    for baseline in json.loads(project.dvc("exp", "show", "--json").stdout):
        for group in baseline.get("experiments") or []:
            for entry in group["revs"]:
                if entry.get("name"):
                    revs[entry["name"]] = entry["rev"]
    return revs


def csv_rows(project: Project, rev: str, path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(git_bytes(project, rev, path).decode())))


def vega_specs(html: str) -> dict[str, dict]:
    """The Vega-Lite spec embedded in each `<div id = "...">` of a `dvc plots` HTML page.

    DVC writes each plot as `var spec = {...JSON...};` inside its div, with the data inline in
    `data.values` (one object per CSV row, values as the CSV's strings, plus `rev`).
    """
    decoder = json.JSONDecoder()
    specs = {}
    for match in re.finditer(r'<div id\s*=\s*"([^"]+)"', html):
        start = html.index("var spec = ", match.end()) + len("var spec = ")
        specs[match.group(1)], _ = decoder.raw_decode(html, start)
    return specs


def canonical(rows: list[dict[str, str]]) -> list[tuple]:
    """Rows as a sorted list of sorted items: compares data regardless of row order."""
    return sorted(tuple(sorted(row.items())) for row in rows)


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
    """No tIME or text chunks, and no trace of matplotlib's Software string in the bytes."""
    pngs = sorted((twins[0].root / "reports").rglob("*.png"))
    assert len(pngs) == 4
    for path in pngs:
        data = path.read_bytes()
        chunks = set(png_chunk_types(data))
        assert chunks & PNG_TEXT_CHUNKS == set(), path.name
        assert b"tIME" not in data, path.name
        assert b"Software" not in data, path.name
        assert b"matplotlib" not in data.lower(), path.name


# --- 2. sharing an experiment through git + a DVC remote -------------------------------------

SHARED_EXPERIMENT = "five-hidden"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], Project]:
    """A runs and pushes an experiment; B clones, pulls, applies it. Returns (A's results, B)."""
    base = tmp_path_factory.mktemp("sharing")
    origin, storage = base / "origin.git", base / "storage"
    storage.mkdir()
    outside = Project(base)  # only for its env: git identity and PATH
    outside.run("git", "init", "-q", "--bare", "--initial-branch=main", str(origin))

    a = Project.copy_of_sources(base / "a")
    a.dvc("remote", "add", "-d", "storage", str(storage))
    a.commit("default DVC remote")
    assert stages_run(a.dvc("repro").stdout) == STAGES
    a.commit("reproduce")
    a.git("remote", "add", "origin", str(origin))
    a.git("push", "-q", "origin", "main")
    a.dvc("push")
    assert any(storage.rglob("*")), "dvc push put nothing in the remote"

    ran = a.dvc("exp", "run", "-S", "nn.hidden_units=5", "-n", SHARED_EXPERIMENT)
    assert stages_run(ran.stdout) == ["train_nn", "evaluate", "plot"]
    results = {**snapshot(a), "params.yaml": a.read("params.yaml")}
    a.dvc("exp", "push", "origin", SHARED_EXPERIMENT)

    outside.run("git", "clone", "-q", str(origin), str(base / "b"))
    b = Project(base / "b")  # its own env: PYTHONPATH points at B's src
    assert not (b.root / "models" / "nn.npz").exists()
    b.dvc("exp", "pull", "origin", SHARED_EXPERIMENT)
    b.dvc("exp", "apply", SHARED_EXPERIMENT)
    b.dvc("pull")
    return results, b


def test_clone_gets_the_experiments_outputs(shared: tuple[dict[str, bytes], Project]) -> None:
    """B's metrics, models, data, plots and dvc.lock are A's experiment results, byte for byte."""
    results, b = shared
    for name in ("reports/metrics/nn.json", "models/nn.npz", "models/nn.json"):
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


# --- 3. dvc plots diff between two experiments -----------------------------------------------

EXPERIMENTS = {"exp-a": 3, "exp-b": 6}
"""Experiment name -> nn.hidden_units."""
IMAGES = [
    "reports/figures/boundary_nn.png",
    "reports/figures/boundary_logreg.png",
    "reports/figures/comparison.png",
    "reports/figures/learning_curve.png",
]


@pytest.fixture(scope="module")
def plots_diff(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str], Path]:
    """Two experiments off one commit and `dvc plots diff exp-a exp-b -o <dir>`.

    Returns the project, experiment name -> commit SHA, and the output directory.
    """
    base = tmp_path_factory.mktemp("plots_diff")
    project = Project.copy_of_sources(base / "project")
    project.dvc("repro")
    project.commit("reproduce")
    for name, units in EXPERIMENTS.items():
        project.dvc("exp", "run", "-S", f"nn.hidden_units={units}", "-n", name)
    revs = experiment_revs(project)
    assert sorted(revs) == sorted(EXPERIMENTS)
    output = base / "plots"
    project.dvc("plots", "diff", *EXPERIMENTS, "-o", str(output))
    return project, revs, output


def test_plots_diff_writes_html_naming_both_revisions(
    plots_diff: tuple[Project, dict[str, str], Path],
) -> None:
    _, _, output = plots_diff
    html = (output / "index.html").read_text()
    assert len(html) > 10_000
    assert html.lstrip().lower().startswith("<!doctype html>")
    for name in EXPERIMENTS:
        assert f'"rev": "{name}"' in html
    specs = vega_specs(html)
    assert set(specs) == {"reports_nn_cost_csv", "confusion_nn", "confusion_logreg", "roc"}
    for spec in specs.values():
        assert {row["rev"] for row in spec["data"]["values"]} == set(EXPERIMENTS)


def test_plots_diff_learning_curves_are_each_experiments_cost(
    plots_diff: tuple[Project, dict[str, str], Path],
) -> None:
    """Each revision's learning-curve rows are that experiment's reports/nn/cost.csv."""
    project, revs, output = plots_diff
    html = (output / "index.html").read_text()
    values = vega_specs(html)["reports_nn_cost_csv"]["data"]["values"]
    final_costs = {}
    for name, rev in revs.items():
        expected = csv_rows(project, rev, "reports/nn/cost.csv")
        assert len(expected) == project.params()["nn"]["epochs"]
        plotted = [
            {key: row[key] for key in ("epoch", "cost")} for row in values if row["rev"] == name
        ]
        assert canonical(plotted) == canonical(expected)
        final_costs[name] = expected[-1]["cost"]
        # The distinctive value is in the page text too, as DVC copies it: the CSV's string.
        assert f'"cost": "{final_costs[name]}"' in html
    assert final_costs["exp-a"] != final_costs["exp-b"]


def test_plots_diff_confusion_and_roc_are_each_experiments_data(
    plots_diff: tuple[Project, dict[str, str], Path],
) -> None:
    """Confusion matrices (actual/predicted) and ROC (fpr/tpr, per file) per revision."""
    project, revs, output = plots_diff
    specs = vega_specs((output / "index.html").read_text())
    for name, rev in revs.items():
        for model in ("nn", "logreg"):
            plotted = [
                {key: row[key] for key in ("actual", "predicted")}
                for row in specs[f"confusion_{model}"]["data"]["values"]
                if row["rev"] == name
            ]
            expected = csv_rows(project, rev, f"reports/predictions/{model}.csv")
            assert len(expected) == 80
            assert canonical(plotted) == canonical(expected), (name, model)

            roc = [
                {key: row[key] for key in ("fpr", "tpr")}
                for row in specs["roc"]["data"]["values"]
                if row["rev"] == name and row["filename"] == f"{model}.csv"
            ]
            assert canonical(roc) == canonical(csv_rows(project, rev, f"reports/roc/{model}.csv"))
    # The two experiments differ in the network's ROC, so the check above tells them apart.
    roc_nn = {name: csv_rows(project, rev, "reports/roc/nn.csv") for name, rev in revs.items()}
    assert roc_nn["exp-a"] != roc_nn["exp-b"]


def test_plots_diff_images_are_each_experiments_figures(
    plots_diff: tuple[Project, dict[str, str], Path],
) -> None:
    """Every figure of both revisions is referenced by the page and copied byte for byte."""
    project, revs, output = plots_diff
    html = (output / "index.html").read_text()
    for name, rev in revs.items():
        for image in IMAGES:
            copied = f"static/{name}_{image.replace('/', '_')}"
            assert f'src="{copied}"' in html
            assert (output / copied).read_bytes() == git_bytes(project, rev, image)
    figure = "reports/figures/boundary_nn.png"
    assert git_bytes(project, revs["exp-a"], figure) != git_bytes(project, revs["exp-b"], figure)
