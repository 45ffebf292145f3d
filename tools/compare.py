"""Compare experiments: a Markdown table and an accuracy figure from `dvc exp show --json`.

    dvc exp run --queue -S 'nn.hidden_units=1,2,3,4,5,20,50'
    dvc queue start -j 2                   # wait until `dvc queue status` shows them done
    python tools/compare.py --sweep nn.hidden_units
    python tools/compare.py exp-a exp-b    # or: named experiments

The baseline (the commit the experiments ran on) is always the first row. `--sweep PARAM` takes
every experiment of that baseline that differs from it in PARAM alone (for a value run twice,
the newer run, with a note), so other experiments never mix in; named experiments are taken
as given. Every parameter that differs from the
baseline gets a column. A tool, not a pipeline stage: editing it reruns nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scratchnet import io, plots
from scratchnet.errors import DataError, ScratchnetError

METRICS = "reports/metrics.json"


@dataclasses.dataclass(frozen=True)
class Run:
    """One committed result: its label, its params (flattened) and its headline metrics."""

    name: str
    params: dict[str, Any]
    metrics: dict[str, float]
    timestamp: str = ""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _run(entry: dict[str, Any], label: str) -> Run:
    data = entry.get("data") or {}
    params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
    metrics = ((data.get("metrics") or {}).get(METRICS) or {}).get("data") or {}
    if not params or not metrics:
        raise DataError(f"{label} has no params or no {METRICS} in `dvc exp show`")
    return Run(label, _flatten(params), _flatten(metrics), str(data.get("timestamp") or ""))


def _experiments(baseline: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in baseline.get("experiments") or []:
        for entry in group.get("revs") or []:
            if not entry.get("error"):
                yield entry


def select_runs(
    document: list[dict[str, Any]], names: list[str], sweep: str | None
) -> tuple[list[Run], list[str]]:
    """The baseline, then the experiments asked for: by name, or those of the baseline that
    differ from it in the `sweep` parameter alone (the newest one for each value); and a note
    for each experiment left out because a newer one had the same value."""
    baselines = [entry for entry in document if entry.get("rev") != "workspace"]
    if not baselines:
        raise DataError("dvc exp show lists no commit: run `dvc exp run` on a committed project")
    baseline = _run(baselines[0], "baseline")
    candidates = {
        entry.get("name") or entry["rev"][:7]: entry for entry in _experiments(baselines[0])
    }
    notes: list[str] = []
    if sweep is not None:
        if sweep not in baseline.params:
            raise DataError(f"{sweep} is not a parameter in params.yaml")
        runs = [_run(entry, name) for name, entry in candidates.items()]
        runs = [run for run in runs if _differences(baseline, run) == [sweep]]
        if not runs:
            raise DataError(f"no experiment of the baseline differs from it in {sweep} alone")
        newest: dict[str, Run] = {}
        for run in sorted(runs, key=lambda run: (run.timestamp, run.name)):
            older = newest.get(repr(run.params[sweep]))
            if older is not None:
                notes.append(
                    f"{sweep} = {run.params[sweep]}: {run.name} is newer than {older.name}, "
                    f"which is left out (name experiments to choose)"
                )
            newest[repr(run.params[sweep])] = run
        runs = list(newest.values())
    else:
        missing = [name for name in names if name not in candidates]
        if missing:
            raise DataError(
                f"no experiment named {missing[0]!r} on the baseline "
                f"(found {', '.join(sorted(candidates)) or 'none'})"
            )
        runs = [_run(candidates[name], name) for name in names]
    columns = _columns([baseline, *runs])

    def order(run: Run) -> list[tuple[int, Any]]:
        values = [run.params.get(column) for column in columns]
        numeric = [isinstance(v, int | float) and not isinstance(v, bool) for v in values]
        return [(0, v) if n else (1, str(v)) for v, n in zip(values, numeric, strict=True)] + [
            (1, run.name)
        ]

    return [baseline, *sorted(runs, key=order)], notes


def _differences(baseline: Run, run: Run) -> list[str]:
    return sorted(key for key, value in run.params.items() if baseline.params.get(key) != value)


def _columns(runs: list[Run]) -> list[str]:
    """Every parameter that differs from the baseline in some run."""
    return sorted({key for run in runs[1:] for key in _differences(runs[0], run)})


METRIC_COLUMNS = {
    "nn.train_accuracy": "network train acc.",
    "nn.accuracy": "network test acc.",
    "nn.log_loss": "network log loss",
    "nn.roc_auc": "network ROC AUC",
    "logreg.accuracy": "logistic test acc.",
}


def markdown_table(runs: list[Run]) -> str:
    params = _columns(runs)
    header = ["run", *params, *METRIC_COLUMNS.values()]
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    for run in runs:
        cells = [run.name, *(str(run.params.get(key)) for key in params)]
        for key in METRIC_COLUMNS:
            value = run.metrics.get(key)
            cells.append(
                "–" if value is None else f"{value:.2%}" if "acc" in key else f"{value:.3f}"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def accuracy_figure(runs: list[Run], sweep: str | None) -> Figure:
    """Train and test accuracy per run: against the swept parameter if it is numeric (log
    scale when it spans more than a factor of 10), else one position per run."""
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    ax = figure.subplots()
    values = [run.params.get(sweep) for run in runs] if sweep else []
    numeric = bool(values) and all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in values
    )
    order = np.argsort(values) if numeric else np.arange(len(runs))
    x = np.array(values, dtype=float)[order] if numeric else np.arange(len(runs))
    for key, marker in (("nn.train_accuracy", "o"), ("nn.accuracy", "s"), ("logreg.accuracy", "^")):
        y = np.array([runs[i].metrics.get(key, np.nan) for i in order]) * 100
        ax.plot(x, y, marker=marker, label=METRIC_COLUMNS[key])
    if numeric:
        if x.min() > 0 and x.max() / x.min() > 10:
            ax.set_xscale("log")
        ax.set_xticks(x, labels=[f"{value:g}" for value in x])
        ax.set_xlabel(sweep)
    else:
        ax.set_xticks(x, labels=[runs[i].name for i in order], rotation=20)
    title = f"Accuracy against {sweep}" if numeric else "Accuracy by experiment"
    ax.set(ylabel="accuracy (%)", title=f"{title} (the baseline included)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure


def exp_show() -> list[dict[str, Any]]:
    """`dvc exp show --json` of the repository in the current directory."""
    command = [sys.executable, "-m", "dvc", "exp", "show", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DataError(f"dvc exp show failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def read_exp_show(path: str | Path) -> list[dict[str, Any]]:
    """A saved `dvc exp show --json` output."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path} is not a readable `dvc exp show --json` output: {error}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="compare",
        description=__doc__.split("\n")[0],
    )
    parser.add_argument("experiments", nargs="*", help="experiment names to compare")
    parser.add_argument(
        "--sweep", metavar="PARAM", help="every experiment that differs in PARAM alone"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/sweep"),
        help="folder for the table and figure (default: %(default)s)",
    )
    parser.add_argument(
        "--dpi", type=int, default=100, help="resolution of the figure (default: %(default)s)"
    )
    parser.add_argument("--exp-show", type=Path, help="a saved `dvc exp show --json` output")
    args = parser.parse_args(argv)
    if bool(args.experiments) == bool(args.sweep):
        parser.error("give experiment names or --sweep PARAM (one of the two)")
    try:
        document = read_exp_show(args.exp_show) if args.exp_show else exp_show()
        runs, notes = select_runs(document, args.experiments, args.sweep)
        stem = args.sweep.rsplit(".", 1)[-1] if args.sweep else "experiments"
        table, figure = args.out / f"{stem}.md", args.out / f"{stem}.png"
        io.write_bytes(table, markdown_table(runs).encode())
        io.write_bytes(figure, plots.to_png(accuracy_figure(runs, args.sweep), args.dpi))
    except ScratchnetError as error:
        raise SystemExit(f"compare: error: {error}") from None
    print(markdown_table(runs), end="")
    for note in notes:
        print(f"compare: {note}", file=sys.stderr)
    print(f"compare: wrote {table} and {figure} ({len(runs)} runs)", file=sys.stderr)


if __name__ == "__main__":
    main()
