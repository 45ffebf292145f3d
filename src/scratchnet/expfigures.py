"""Figures of experiments: accuracy against a swept parameter (or per named experiment) and
test accuracy over seed replicates, per configuration."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from scratchnet.experiments import TEST_ACCURACY, Run, format_value, sort_key
from scratchnet.exptables import METRIC_COLUMNS
from scratchnet.seedgroups import SeedGroup

CHANCE = 0.5
"""The accuracy of a coin flip, whatever the classes' balance: the line a model must clear.
(The majority class's rate would be a higher bar on unbalanced data, but `dvc exp show` does
not carry the test set's balance, and the built-in data sets are balanced.)"""
CHANCE_LABEL = "chance: a coin flip (50 %)"
MAX_WIDTH = 16.0
"""Inches: the seeds figure widens with its configurations up to this (16,000 pixels at the
highest resolution compare.py allows)."""
INTERVAL_NOTE = "bars: 95 % Wilson intervals of test accuracy"


def accuracy_figure(runs: list[Run], sweep: str | None) -> Figure:
    """Train and test accuracy per run, test accuracy with its 95 % interval as error bars
    (logistic regression's moved a little to the right, so the two models' bars do not
    overlap): against the swept parameter, on a numeric axis if every value is a number (log
    scale when they span more than a factor of 10), else one position per value (`null` for
    none, as params.yaml writes it); without a sweep, one position per run. A dotted line marks
    the baseline, a dashed one chance (CHANCE)."""
    figure = Figure(figsize=(7, 4.4), layout="constrained")
    ax = figure.subplots()
    values = [run.params.get(sweep) for run in runs] if sweep else []
    numeric = bool(values) and all(sort_key(value)[0] == 0 for value in values)
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
        ax.set_xticks(x, labels=[format_value(values[i]) for i in order])
        ax.set_xlabel(sweep)
    else:
        ax.set_xticks(x, labels=[runs[i].name for i in order], rotation=20)
    base = x[np.flatnonzero(order == 0)[0]]
    what = f" ({sweep}={format_value(values[0])})" if values else ""
    ax.axvline(base, color="0.5", linestyle=":", label=f"the baseline{what}")
    ax.axhline(100 * CHANCE, color="0.3", linestyle="--", linewidth=1, label=CHANCE_LABEL)
    title = f"Accuracy against {sweep}" if values else "Accuracy by experiment"
    ax.set(ylabel="accuracy (%)", title=f"{title} (the baseline included)\n{INTERVAL_NOTE}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure


def spread_out(values: np.ndarray, step: float) -> np.ndarray:
    """Horizontal offsets that put equal values side by side instead of on top of each other."""
    offsets = np.zeros(values.size)
    for value in np.unique(values):
        same = np.flatnonzero(values == value)
        offsets[same] = (np.arange(same.size) - (same.size - 1) / 2) * step
    return offsets


def seeds_figure(groups: list[SeedGroup]) -> Figure:
    """Each configuration's test accuracies, one dot per run, beside their mean ± one standard
    deviation (the network left, logistic regression right)."""
    width = min(max(5.0, 1.8 * len(groups) + 2.5), MAX_WIDTH)
    figure = Figure(figsize=(width, 4.4), layout="constrained")
    ax = figure.subplots()
    for (key, name), shift, colour in zip(
        TEST_ACCURACY.items(),
        (-0.2, 0.2),
        ("#ff7f0e", "#2ca02c"),
        strict=True,
    ):
        for index, group in enumerate(groups):
            values = group.accuracies(key) * 100
            mean, sd = values.mean(), values.std(ddof=1)
            dots = index + shift + spread_out(values, 0.025)
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
