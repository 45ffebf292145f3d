"""Compare experiments: a Markdown table and an accuracy figure from `dvc exp show --json`.

    dvc exp run --queue -S 'nn.hidden_units=1,2,3,4,5,20,50'
    dvc queue start -j 2                   # wait until `dvc queue status` shows them done
    python tools/compare.py --sweep nn.hidden_units
    python tools/compare.py exp-a exp-b    # or: named experiments
    python tools/compare.py --seeds        # or: each configuration over its seeds

The baseline (the commit the experiments ran on) is always the first row. `--sweep PARAM` takes
every experiment of that baseline that differs from it in PARAM alone (for a value run twice,
the newer run, with a note), so other experiments never mix in; named experiments are taken
as given. Every parameter that differs from the baseline gets a column, and test accuracy its
95 % interval (from evaluate). `--seeds` groups the baseline and its experiments by every
parameter but the seeds (SEEDS) and summarises test accuracy over each group's runs.
A tool, not a pipeline stage: editing it reruns nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scratchnet import files, plots
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


def _baseline(document: list[dict[str, Any]]) -> tuple[Run, dict[str, dict[str, Any]]]:
    """The baseline (the commit `dvc exp show` lists first) and its experiments by name."""
    baselines = [entry for entry in document if entry.get("rev") != "workspace"]
    if not baselines:
        raise DataError("dvc exp show lists no commit: run `dvc exp run` on a committed project")
    candidates = {
        entry.get("name") or entry["rev"][:7]: entry for entry in _experiments(baselines[0])
    }
    return _run(baselines[0], "baseline"), candidates


def _newest(runs: list[Run], key: Callable[[Run], str]) -> tuple[list[Run], list[str]]:
    """For each `key` (a description of what the runs share), the newest run; and a note for
    each run left out because a newer one has the same key."""
    newest: dict[str, Run] = {}
    notes = []
    for run in sorted(runs, key=lambda run: (run.timestamp, run.name)):
        described = key(run)
        older = newest.get(described)
        if older is not None:
            notes.append(
                f"{described}: {run.name} is newer than {older.name}, which is left out "
                f"(name experiments to choose)"
            )
        newest[described] = run
    return list(newest.values()), notes


def select_runs(
    document: list[dict[str, Any]], names: list[str], sweep: str | None
) -> tuple[list[Run], list[str]]:
    """The baseline, then the experiments asked for: by name, or those of the baseline that
    differ from it in the `sweep` parameter alone (the newest one for each value); and a note
    for each experiment left out because a newer one had the same value."""
    baseline, candidates = _baseline(document)
    notes: list[str] = []
    if sweep is not None:
        if sweep not in baseline.params:
            raise DataError(f"{sweep} is not a parameter in params.yaml")
        runs = [_run(entry, name) for name, entry in candidates.items()]
        runs = [run for run in runs if _differences(baseline, run) == [sweep]]
        if not runs:
            raise DataError(f"no experiment of the baseline differs from it in {sweep} alone")
        runs, notes = _newest(runs, lambda run: f"{sweep} = {run.params[sweep]}")
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
        return [*map(_sort_key, values), (1, run.name)]

    return [baseline, *sorted(runs, key=order)], notes


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers in numeric order, before anything else in text order."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return (0, value) if numeric else (1, str(value))


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
TEST_ACCURACY = {"nn.accuracy": "network", "logreg.accuracy": "logistic"}
"""The two models' test accuracies (what the figures show with their uncertainty), by the
name the seed report gives each model."""


def _cell(run: Run, key: str) -> str:
    """A metric as a percentage (accuracies) or to 3 decimals, with its 95 % interval after
    it when evaluate wrote one."""
    value, lower, upper = (run.metrics.get(f"{key}{end}") for end in ("", "_lower", "_upper"))
    if value is None:
        return "–"
    if "acc" in key:
        return f"{value:.2%}" + ("" if lower is None else f" ({100 * lower:.1f}–{upper:.1%})")
    return f"{value:.3f}" + ("" if lower is None else f" ({lower:.3f}–{upper:.3f})")


def markdown_table(runs: list[Run]) -> str:
    """One row per run: the parameters that differ from the baseline, then the metrics (test
    accuracy and ROC AUC with their 95 % intervals in brackets)."""
    params = _columns(runs)
    header = ["run", *params, *METRIC_COLUMNS.values()]
    rows = [
        [run.name, *(str(run.params.get(key)) for key in params)]
        + [_cell(run, key) for key in METRIC_COLUMNS]
        for run in runs
    ]
    return _markdown(header, rows)


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


INTERVAL_NOTE = "bars: 95 % Wilson intervals of test accuracy"


def accuracy_figure(runs: list[Run], sweep: str | None) -> Figure:
    """Train and test accuracy per run, test accuracy with its 95 % interval as error bars
    (logistic regression's moved a little to the right, so the two models' bars do not
    overlap): against the swept parameter, on a numeric axis if every value is a number (log
    scale when they span more than a factor of 10), else one position per value (`null` for
    none, as params.yaml writes it); without a sweep, one position per run."""
    figure = Figure(figsize=(7, 4.4), layout="constrained")
    ax = figure.subplots()
    values = [run.params.get(sweep) for run in runs] if sweep else []
    numeric = bool(values) and all(_sort_key(value)[0] == 0 for value in values)
    order = np.argsort(values) if numeric else np.arange(len(runs))
    x = np.array(values, dtype=float)[order] if numeric else np.arange(len(runs), dtype=float)
    log = numeric and x.min() > 0 and x.max() / x.min() > 10
    dodge = (x.max() / x.min()) ** 0.012 if log else 1.0
    shift = 0.0 if log else 0.012 * max(x.max() - x.min(), 1.0)
    for key, marker in (("nn.train_accuracy", "o"), ("nn.accuracy", "s"), ("logreg.accuracy", "^")):
        y, lower, upper = (
            np.array([runs[i].metrics.get(f"{key}{end}", np.nan) for i in order]) * 100
            for end in ("", "_lower", "_upper")
        )
        label = METRIC_COLUMNS[key]
        if key in TEST_ACCURACY and np.isfinite(lower).all():
            at = x * dodge + shift if key == "logreg.accuracy" else x
            ax.errorbar(at, y, yerr=[y - lower, upper - y], marker=marker, capsize=3, label=label)
        else:
            ax.plot(x, y, marker=marker, label=label)
    if numeric:
        if log:
            ax.set_xscale("log")
        ax.set_xticks(x, labels=[f"{value:g}" for value in x])
        ax.set_xlabel(sweep)
    elif values:
        ax.set_xticks(x, labels=["null" if values[i] is None else str(values[i]) for i in order])
        ax.set_xlabel(sweep)
    else:
        ax.set_xticks(x, labels=[runs[i].name for i in order], rotation=20)
    title = f"Accuracy against {sweep}" if values else "Accuracy by experiment"
    ax.set(ylabel="accuracy (%)", title=f"{title} (the baseline included)\n{INTERVAL_NOTE}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure


SEEDS = ("data.seed", "split.seed", "nn.seed")
"""The parameters that draw the data, split it and initialise the network: runs that differ in
these alone are replicates of one configuration."""


@dataclasses.dataclass(frozen=True)
class SeedGroup:
    """The runs of one configuration, which differ from each other in their seeds alone."""

    label: str
    runs: list[Run]

    @property
    def varied(self) -> list[str]:
        """The seeds that take more than one value among the runs."""
        return [
            seed for seed in SEEDS if len({repr(run.params.get(seed)) for run in self.runs}) > 1
        ]

    def accuracies(self, key: str) -> np.ndarray:
        return np.array([run.metrics.get(key, np.nan) for run in self.runs], dtype=float)


def seed_groups(document: list[dict[str, Any]]) -> tuple[list[SeedGroup], list[str]]:
    """The baseline and its experiments grouped by every parameter but SEEDS, each group
    labelled by how it differs from the baseline; only groups with two or more runs (for runs
    with the same seeds too, the newest), and notes on what was left out."""
    baseline, candidates = _baseline(document)

    def label(run: Run) -> str:
        changed = [key for key in _differences(baseline, run) if key not in SEEDS]
        return ", ".join(f"{key}={run.params.get(key)}" for key in changed) or "baseline"

    def seeds(run: Run) -> str:
        return f"{label(run)} with " + ", ".join(f"{s}={run.params.get(s)}" for s in SEEDS)

    runs = [baseline, *(_run(entry, name) for name, entry in candidates.items())]
    runs, notes = _newest(runs, seeds)
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(label(run), []).append(run)
    singles = sorted(label for label, members in grouped.items() if len(members) < 2)
    if singles:
        notes.append(f"ran with one set of seeds only, left out: {'; '.join(singles)}")
    groups = [
        SeedGroup(label, sorted(members, key=lambda run: run.name))
        for label, members in grouped.items()
        if len(members) >= 2
    ]
    if not groups:
        raise DataError(
            "no configuration ran with more than one set of seeds: queue runs with other "
            f"{', '.join(SEEDS)} first"
        )
    groups.sort(key=lambda group: (group.label != "baseline", group.label))
    return groups, notes


SEED_STATISTICS = ("mean", "sd", "min", "max")


def _statistics(values: np.ndarray) -> list[float]:
    """Mean, sample standard deviation (n − 1), min and max."""
    return [values.mean(), values.std(ddof=1), values.min(), values.max()]


def seeds_table(groups: list[SeedGroup]) -> str:
    """One row per configuration: its runs, the seeds they vary, and each model's test accuracy
    over them (mean, standard deviation with n − 1, min, max)."""
    header = ["configuration", "runs", "seeds varied"]
    for model in TEST_ACCURACY.values():
        header += [f"{model} test acc. {name}" for name in SEED_STATISTICS]
    rows = []
    for group in groups:
        cells = [group.label, str(len(group.runs)), ", ".join(group.varied)]
        for key in TEST_ACCURACY:
            cells += [f"{value:.2%}" for value in _statistics(group.accuracies(key))]
        rows.append(cells)
    return _markdown(header, rows)


def _spread_out(values: np.ndarray, step: float) -> np.ndarray:
    """Horizontal offsets that put equal values side by side instead of on top of each other."""
    offsets = np.zeros(values.size)
    for value in np.unique(values):
        same = np.flatnonzero(values == value)
        offsets[same] = (np.arange(same.size) - (same.size - 1) / 2) * step
    return offsets


def seeds_figure(groups: list[SeedGroup]) -> Figure:
    """Each configuration's test accuracies, one dot per run, beside their mean ± one standard
    deviation (the network left, logistic regression right)."""
    figure = Figure(figsize=(max(5.0, 1.8 * len(groups) + 2.5), 4.4), layout="constrained")
    ax = figure.subplots()
    for (key, name), shift, colour in zip(
        TEST_ACCURACY.items(),
        (-0.2, 0.2),
        ("#ff7f0e", "#2ca02c"),
        strict=True,
    ):
        for index, group in enumerate(groups):
            values = group.accuracies(key) * 100
            mean, sd, *_ = _statistics(values)
            dots = index + shift + _spread_out(values, 0.025)
            ax.plot(
                dots,
                values,
                ls="",
                marker="o",
                ms=4,
                color=colour,
                alpha=0.7,
                label=f"{name}: one run" if index == 0 else None,
            )
            ax.errorbar(
                index + shift + 0.12,
                mean,
                yerr=sd,
                marker="_",
                ms=12,
                capsize=4,
                color=colour,
                label=f"{name}: mean ± sd" if index == 0 else None,
            )
    ax.set_xticks(
        range(len(groups)), labels=[f"{group.label}\n{len(group.runs)} runs" for group in groups]
    )
    ax.set(ylabel="test accuracy (%)", title="Test accuracy over seeds, per configuration")
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="center", fontsize="small")  # between the two models: usually empty
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


@dataclasses.dataclass(frozen=True, eq=False)
class Report:
    """What one invocation writes and says: a table, a figure, their file stem, what they
    cover, and notes on runs left out."""

    table: str
    figure: Figure
    stem: str
    covers: str
    notes: list[str]


def report(document: list[dict[str, Any]], args: argparse.Namespace) -> Report:
    """The report the arguments ask for: seeds, a sweep or named experiments."""
    if args.seeds:
        groups, notes = seed_groups(document)
        runs = sum(len(group.runs) for group in groups)
        covers = f"{len(groups)} configurations, {runs} runs"
        return Report(seeds_table(groups), seeds_figure(groups), "seeds", covers, notes)
    runs, notes = select_runs(document, args.experiments, args.sweep)
    stem = args.sweep.rsplit(".", 1)[-1] if args.sweep else "experiments"
    figure = accuracy_figure(runs, args.sweep)
    return Report(markdown_table(runs), figure, stem, f"{len(runs)} runs", notes)


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
        "--seeds",
        action="store_true",
        help=f"each configuration over its runs that differ in {', '.join(SEEDS)} alone",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the table and figure (default: reports/seeds with --seeds, "
        "else reports/sweep)",
    )
    parser.add_argument(
        "--dpi", type=int, default=100, help="resolution of the figure (default: %(default)s)"
    )
    parser.add_argument("--exp-show", type=Path, help="a saved `dvc exp show --json` output")
    args = parser.parse_args(argv)
    if [bool(args.experiments), bool(args.sweep), args.seeds].count(True) != 1:
        parser.error("give experiment names, --sweep PARAM or --seeds (one of the three)")
    out = args.out or Path("reports/seeds" if args.seeds else "reports/sweep")
    try:
        document = read_exp_show(args.exp_show) if args.exp_show else exp_show()
        result = report(document, args)
        table, figure = out / f"{result.stem}.md", out / f"{result.stem}.png"
        files.write_bytes(table, result.table.encode())
        files.write_bytes(figure, plots.to_png(result.figure, args.dpi))
    except ScratchnetError as error:
        raise SystemExit(f"compare: error: {error}") from None
    print(result.table, end="")
    for note in result.notes:
        print(f"compare: {note}", file=sys.stderr)
    print(f"compare: wrote {table} and {figure} ({result.covers})", file=sys.stderr)


if __name__ == "__main__":
    main()
