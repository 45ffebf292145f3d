"""Predicted probabilities by class and their calibration, one column per model: the figure
for data of any width, where no decision boundary can be drawn (`plots.comparison_figure`
picks it). Counts only, so any number of rows draws quickly."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

CLASS_COLOURS = ("#1f77b4", "#d62728")
"""Class 0 and class 1, in every figure of the models."""

HISTOGRAM_BINS = np.linspace(0.0, 1.0, 21)
"""Bins of predicted P(y = 1), the same for both classes so their counts compare bin by bin."""
RELIABILITY_BINS = np.linspace(0.0, 1.0, 11)
"""Ten bins: enough to see a bend, few enough that each holds many rows."""


@dataclasses.dataclass(frozen=True, eq=False)
class ProbabilityPanel:
    """One model's predicted P(y = 1) of each test row, their labels `y`, and the threshold;
    for data of any width, where no decision boundary can be drawn."""

    title: str
    probability: np.ndarray
    y: np.ndarray
    threshold: float

    def __post_init__(self) -> None:
        if self.probability.ndim != 1 or self.probability.shape != self.y.shape:
            raise ValueError(
                f"{self.probability.shape} probabilities for {self.y.shape} labels: "
                "need one per row"
            )


def reliability(
    probability: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per non-empty RELIABILITY_BINS bin: mean predicted P(y = 1), observed fraction of class
    1, and row count; bins are closed on the left, the last also on the right, as np.histogram."""
    bins = np.digitize(probability, RELIABILITY_BINS[1:-1])
    size = RELIABILITY_BINS.size - 1
    count = np.bincount(bins, minlength=size)
    total = np.bincount(bins, weights=probability, minlength=size)
    ones = np.bincount(bins, weights=y, minlength=size)
    filled = count > 0
    return total[filled] / count[filled], ones[filled] / count[filled], count[filled]


def draw_distributions(ax: Axes, panel: ProbabilityPanel) -> None:
    """Each class's histogram of predicted P(y = 1), with the threshold: how far apart the
    model pushes the classes, and which rows land on the wrong side."""
    for label, colour in enumerate(CLASS_COLOURS):
        counts, _ = np.histogram(panel.probability[panel.y == label], HISTOGRAM_BINS)
        ax.stairs(counts, HISTOGRAM_BINS, fill=True, color=colour, alpha=0.3)
        ax.stairs(
            counts, HISTOGRAM_BINS, color=colour, lw=1.2, label=f"class {label}: {counts.sum():,}"
        )
    ax.axvline(panel.threshold, color="k", ls="--", lw=1, label=f"threshold {panel.threshold:g}")
    _, top = ax.get_ylim()
    ax.set(
        title=panel.title,
        xlabel="predicted P(y = 1)",
        ylabel="test rows",
        xlim=(0, 1),
        ylim=(0, top * 1.35),  # headroom for the legend
    )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.legend(loc="upper center", fontsize="small", framealpha=1, edgecolor="none")


def draw_reliability(ax: Axes, panel: ProbabilityPanel) -> None:
    """Observed fraction of class 1 against the mean prediction per bin: on the diagonal, a
    predicted 0.7 comes true 70 % of the time. Marker area grows with the bin's rows, so a
    far-off point of a few rows reads as the noise it is."""
    predicted, observed, count = reliability(panel.probability, panel.y)
    largest = int(count.max(initial=1))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    # Unclipped: a bin's point at 0 or 1 stays whole on the axes' edge.
    ax.plot(predicted, observed, color=CLASS_COLOURS[1], lw=1, clip_on=False)
    ax.scatter(
        predicted,
        observed,
        s=14 + 200 * count / largest,
        color=CLASS_COLOURS[1],
        edgecolors="white",
        linewidths=0.8,
        zorder=3,
        clip_on=False,
    )
    ax.set(
        xlabel="mean predicted P(y = 1) in the bin",
        ylabel="observed fraction of class 1",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.grid(True, alpha=0.3)
    handles = [
        Line2D([], [], color="grey", ls="--", lw=1, label="perfect calibration"),
        Line2D(
            [],
            [],
            color=CLASS_COLOURS[1],
            marker="o",
            ms=8,
            mec="white",
            label=f"bin of predictions; area: rows (largest {largest:,})",
        ),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize="small", framealpha=1)


def probability_figure(panels: Sequence[ProbabilityPanel]) -> Figure:
    """One column per model: the classes' distributions of predicted P(y = 1) above, the
    reliability diagram below. Counts only, so any number of rows draws quickly."""
    width, height = 5.2 * len(panels), 9.4
    left, right, bottom, top, row_gap = 1.1, 0.2, 0.6, 0.6, 0.75  # inches
    figure = Figure(figsize=(width, height))
    # Fixed margins, as in boundary_figure: no layout engine. Columns are `left + right` apart,
    # so each model's column looks as it would alone.
    figure.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=(left + right) / (5.2 - left - right),
        hspace=row_gap / ((height - bottom - top - row_gap) / 2),
    )
    axes = figure.subplots(2, len(panels), squeeze=False)
    for column, panel in enumerate(panels):
        draw_distributions(axes[0, column], panel)
        draw_reliability(axes[1, column], panel)
    return figure
