"""Hidden-size study: experiments from `dvc exp show --json` as a markdown table and a figure.

    dvc exp run --queue -S 'nn.hidden_units=1,2,3,4,5,20,50'
    dvc queue start -j 2          # wait until `dvc queue status` shows them done
    python tools/compare.py       # → reports/sweep/hidden_units.md and hidden_units.png

Every committed baseline and experiment is a row (the workspace is not: it is what you are
editing, not a result). A tool, not part of the pipeline: editing it reruns no stage.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scratchnet import io, plots
from scratchnet.errors import DataError, ScratchnetError

METRICS = "reports/metrics.json"


@dataclasses.dataclass(frozen=True)
class Run:
    """One committed result: where it came from and how the network did."""

    name: str
    rev: str
    hidden_units: int
    train_accuracy: float
    test_accuracy: float
    log_loss: float
    roc_auc: float


def _entries(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every baseline and experiment in `dvc exp show --json`, depth first."""
    for node in nodes:
        yield node
        for group in node.get("experiments") or []:
            yield from _entries(group.get("revs") or [])


def runs_from_exp_show(document: list[dict[str, Any]]) -> list[Run]:
    """The runs with network metrics, ordered by hidden units then name."""
    runs = []
    for entry in _entries(document):
        data = entry.get("data") or {}
        metrics = ((data.get("metrics") or {}).get(METRICS, {}).get("data") or {}).get("nn")
        params = (data.get("params") or {}).get("params.yaml", {}).get("data", {})
        if entry.get("rev") == "workspace" or entry.get("error") or not metrics:
            continue
        try:
            runs.append(
                Run(
                    name=entry.get("name") or entry["rev"][:7],
                    rev=entry["rev"][:7],
                    hidden_units=int(params["nn"]["hidden_units"]),
                    train_accuracy=float(metrics["train_accuracy"]),
                    test_accuracy=float(metrics["accuracy"]),
                    log_loss=float(metrics["log_loss"]),
                    roc_auc=float(metrics["roc_auc"]),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"experiment {entry.get('rev')!r} lacks {error}") from None
    if not runs:
        raise DataError("dvc exp show lists no committed run with network metrics")
    return sorted(runs, key=lambda run: (run.hidden_units, run.name))


def markdown_table(runs: list[Run]) -> str:
    header = (
        "| hidden units | experiment | train accuracy | test accuracy | test log loss | ROC AUC |\n"
        "| ---: | --- | ---: | ---: | ---: | ---: |\n"
    )
    rows = "".join(
        f"| {r.hidden_units} | {r.name} ({r.rev}) | {r.train_accuracy:.2%} | "
        f"{r.test_accuracy:.2%} | {r.log_loss:.3f} | {r.roc_auc:.3f} |\n"
        for r in runs
    )
    return header + rows


def accuracy_figure(runs: list[Run]) -> Figure:
    """Train and test accuracy against hidden units (log scale), one point per run."""
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    ax = figure.subplots()
    units = np.array([run.hidden_units for run in runs])
    for label, values, marker in (
        ("train", [run.train_accuracy for run in runs], "o"),
        ("test", [run.test_accuracy for run in runs], "s"),
    ):
        ax.plot(units, np.array(values) * 100, marker=marker, label=f"{label} accuracy")
    ax.set(
        xscale="log",
        xlabel="hidden units (log scale)",
        ylabel="accuracy (%)",
        title="Network accuracy against hidden-layer size",
    )
    ax.set_xticks(sorted(set(units.tolist())), labels=[str(u) for u in sorted(set(units.tolist()))])
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure


def exp_show() -> list[dict[str, Any]]:
    """`dvc exp show --json` of the repository in the current directory."""
    command = [sys.executable, "-m", "dvc", "exp", "show", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DataError(f"dvc exp show failed: {result.stderr.strip()}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise DataError(f"dvc exp show printed no JSON: {error}") from None


def read_exp_show(path: Path) -> list[dict[str, Any]]:
    """A saved `dvc exp show --json` output."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path} is not a readable `dvc exp show --json` output: {error}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exp-show", type=Path, help="saved `dvc exp show --json` output")
    parser.add_argument("--out-dir", type=Path, default=Path("reports/sweep"))
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        document = read_exp_show(args.exp_show) if args.exp_show else exp_show()
        runs = runs_from_exp_show(document)
        io.write_bytes(args.out_dir / "hidden_units.md", markdown_table(runs).encode())
        io.write_bytes(
            args.out_dir / "hidden_units.png", plots.to_png(accuracy_figure(runs), args.dpi)
        )
    except ScratchnetError as error:
        raise SystemExit(f"compare: error: {error}") from None
    print(markdown_table(runs), end="")


if __name__ == "__main__":
    main()
