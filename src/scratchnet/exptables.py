"""Tables of experiments, built with pandas: the Markdown reports of a sweep, of named
experiments and of seed replicates, and the ranking that fits a terminal of 80 columns."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scratchnet.experiments import (
    TEST_ACCURACY,
    Run,
    changed_columns,
    differences,
    format_value,
)
from scratchnet.seedgroups import SeedGroup

METRIC_COLUMNS = {
    "nn.train_accuracy": "network train acc.",
    "nn.accuracy": "network test acc.",
    "nn.log_loss": "network log loss",
    "nn.roc_auc": "network ROC AUC",
    "logreg.accuracy": "logistic test acc.",
}
"""The metrics the Markdown reports show, by their column titles."""
SEED_STATISTICS = {"mean": "mean", "std": "sd", "min": "min", "max": "max"}
"""Statistics over a configuration's runs (pandas' names: titles); pandas' std is n − 1's."""
WIDTH = 80
"""The ranking fits a terminal this wide."""
ELLIPSIS = "..."
"""Ends a cell cut short (ASCII, so it prints in any locale)."""


def _markdown(frame: pd.DataFrame) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned, cells as
    given (tabulate would otherwise reformat "0.250" as a number)."""
    align = ("left", *("right",) * (frame.shape[1] - 1))
    return frame.to_markdown(index=False, colalign=align, disable_numparse=True) + "\n"


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
    """One row per run (the baseline first): the parameters that differ from the baseline,
    then the metrics (test accuracy and ROC AUC with their 95 % intervals in brackets)."""
    params = changed_columns(runs)
    frame = pd.DataFrame(
        {
            "run": [run.name for run in runs],
            **{key: [format_value(run.params.get(key)) for run in runs] for key in params},
            **{title: [_cell(run, key) for run in runs] for key, title in METRIC_COLUMNS.items()},
        }
    )
    return _markdown(frame)


def seeds_table(groups: list[SeedGroup]) -> str:
    """One row per configuration: its runs, the seeds they vary, and each model's test accuracy
    over them (mean, standard deviation with n − 1, min, max)."""
    runs = pd.DataFrame(
        [
            {"configuration": group.label, **{key: run.metrics.get(key) for key in TEST_ACCURACY}}
            for group in groups
            for run in group.runs
        ]
    )
    statistics = runs.groupby("configuration", sort=False).agg(list(SEED_STATISTICS))
    statistics.columns = [
        f"{TEST_ACCURACY[key]} test acc. {SEED_STATISTICS[name]}"
        for key, name in statistics.columns
    ]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "runs": [str(len(group.runs)) for group in groups],
                    "seeds varied": [", ".join(group.varied) for group in groups],
                },
                index=statistics.index,
            ),
            statistics.map(lambda value: f"{value:.2%}"),
        ],
        axis=1,
    )
    return _markdown(frame.reset_index())


def _cut(text: str, width: int) -> str:
    """`text`, ending in an ellipsis if it is longer than `width`."""
    return text if len(text) <= width else text[: width - len(ELLIPSIS)] + ELLIPSIS


def _accuracy(run: Run, key: str) -> str:
    """Test accuracy in percent with its 95 % interval, ASCII: "91.2 (83.0-95.7)"."""
    value, lower, upper = (run.metrics.get(f"{key}{end}") for end in ("", "_lower", "_upper"))
    if value is None:
        return "-"
    interval = "" if lower is None or upper is None else f" ({100 * lower:.1f}-{100 * upper:.1f})"
    return f"{100 * value:.1f}{interval}"


def _width(column: pd.Series) -> int:
    """How wide tabulate makes a column: its widest cell, or its title and two spaces."""
    return max(len(column.name) + 2, *map(len, column))


def short_names(keys: Sequence[str]) -> dict[str, str]:
    """Each dotted parameter by its last part (`nn.hidden_units` → `hidden_units`), unless
    another key ends the same way (`data.seed` and `nn.seed` stay whole)."""
    last = [key.rsplit(".", 1)[-1] for key in keys]
    return {key: end if last.count(end) == 1 else key for key, end in zip(keys, last, strict=True)}


def ranking_table(baseline: Run, runs: list[Run], width: int = WIDTH) -> str:
    """`runs` (the baseline among them) one a row, in the order given: the name, both models'
    test accuracy with its 95 % interval, and the parameters that differ from the baseline as
    `key=value` (keys shortened by `short_names`); names and changes are cut with an ellipsis
    so that every line fits `width` columns."""
    changed = {run.name: differences(baseline, run) for run in runs}
    short = short_names(sorted({key for keys in changed.values() for key in keys}))
    frame = pd.DataFrame(
        {
            "experiment": [run.name for run in runs],
            **{
                model: [_accuracy(run, key) for run in runs] for key, model in TEST_ACCURACY.items()
            },
            "changes": [
                " ".join(
                    f"{short[key]}={format_value(run.params.get(key))}" for key in changed[run.name]
                )
                or "(the baseline)"
                for run in runs
            ],
        }
    )
    gaps = 2 * (frame.shape[1] - 1)  # tabulate's "simple" format: two spaces between columns
    fixed = sum(_width(frame[model]) for model in TEST_ACCURACY.values())
    names = min(_width(frame["experiment"]), 20)
    frame["experiment"] = frame["experiment"].map(lambda name: _cut(name, names))
    rest = width - gaps - fixed - names
    frame["changes"] = frame["changes"].map(lambda text: _cut(text, rest))
    table = frame.to_markdown(
        index=False,
        tablefmt="simple",
        colalign=("left", "right", "right", "left"),
        disable_numparse=True,
    )
    title = "Test accuracy (%) with its 95 % interval, best network first"
    return "\n".join(line.rstrip() for line in [title, "", *table.splitlines()]) + "\n"
