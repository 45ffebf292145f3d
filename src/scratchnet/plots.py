"""Figures: decision boundaries with the test points on top, and the learning curve.

Built on matplotlib's object API (no pyplot, no global state) and rendered to PNG bytes
without the Software/date metadata, so identical inputs give identical files.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

from scratchnet.curves import first_increase, sampled_epochs
from scratchnet.datasets import Dataset
from scratchnet.metrics import predict_labels

CLASS_COLOURS = ("#1f77b4", "#d62728")
REGION_COLOURS = ("#c6dbef", "#fcbba1")
MARGIN = 0.08
"""Fraction of the data's range added on each side of the plotted area."""


@dataclasses.dataclass(frozen=True, eq=False)
class BoundaryPanel:
    """One model's decision boundary: P(y = 1 | x) on raw features over a grid covering
    `extent_points`, a title, and the data drawn on top."""

    title: str
    probability: Callable[[np.ndarray], np.ndarray]
    test: Dataset
    threshold: float
    extent_points: np.ndarray
    grid_points: int
    train: Dataset | None = None
    """Drawn faintly under the test points: the data that shaped the regions."""

    @functools.cached_property
    def region(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The grid and P(y = 1) on it, computed once however many figures show the panel."""
        gx, gy = grid_over(self.extent_points, self.grid_points)
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        return gx, gy, self.probability(grid).reshape(gx.shape)


def grid_over(points: np.ndarray, grid_points: int) -> tuple[np.ndarray, np.ndarray]:
    """A `grid_points` × `grid_points` mesh covering `points` with a margin."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = (high - low) * MARGIN
    flat = (high + pad) - (low - pad) <= 1e-9 * np.maximum(np.abs(low), 1.0)
    pad = np.where(flat, MARGIN * np.maximum(np.abs(low), 1.0), pad)  # a constant feature
    axes = [np.linspace(lo, hi, grid_points) for lo, hi in zip(low - pad, high + pad, strict=True)]
    return np.meshgrid(*axes)


def draw_boundary(ax: Axes, panel: BoundaryPanel) -> None:
    """Shade each class's region, draw the boundary, and mark the test points (x = wrong)."""
    gx, gy, probability = panel.region
    ax.contourf(
        gx, gy, probability, levels=[0, panel.threshold, 1], cmap=ListedColormap(REGION_COLOURS)
    )
    if probability.min() < panel.threshold < probability.max():  # else there is no boundary
        ax.contour(gx, gy, probability, levels=[panel.threshold], colors="k", linewidths=1.0)
    if panel.train is not None:
        for label, colour in enumerate(CLASS_COLOURS):
            rows = panel.train.y == label
            ax.scatter(*panel.train.x[rows].T, s=9, c=colour, alpha=0.3, linewidths=0)
    x, y = panel.test.x, panel.test.y
    wrong = predict_labels(panel.probability(x), panel.threshold) != y
    for label, colour in enumerate(CLASS_COLOURS):
        right_rows = (y == label) & ~wrong
        wrong_rows = (y == label) & wrong
        ax.scatter(*x[right_rows].T, s=55, c=colour, edgecolors="white", linewidths=0.8)
        ax.scatter(*x[wrong_rows].T, s=80, c=colour, marker="X", edgecolors="k", linewidths=0.8)
    ax.set(
        title=panel.title,
        xlabel="x1",
        ylabel="x2",
        xlim=(gx.min(), gx.max()),
        ylim=(gy.min(), gy.max()),
    )


def _legend_handles() -> list:
    handles: list = [Patch(color=REGION_COLOURS[k], label=f"predicted {k}") for k in (0, 1)]
    handles += [
        Line2D([], [], ls="", marker="o", color=CLASS_COLOURS[k], label=f"test point, class {k}")
        for k in (0, 1)
    ]
    handles.append(Line2D([], [], ls="", marker="X", color="grey", mec="k", label="misclassified"))
    handles.append(
        Line2D([], [], ls="", marker="o", ms=4, color="grey", alpha=0.4, label="training point")
    )
    handles.append(Line2D([], [], color="k", lw=1, label="decision boundary"))
    return handles


def boundary_figure(panels: Sequence[BoundaryPanel]) -> Figure:
    """One decision-boundary panel per model, side by side, with a shared legend below."""
    width = 5.2 * len(panels)
    figure = Figure(figsize=(width, 5.8))
    # Fixed margins (in inches, converted to fractions): a layout engine would draw every
    # figure twice, which is most of the plot stage's time.
    figure.subplots_adjust(
        left=0.65 / width, right=1 - 0.2 / width, bottom=0.2, top=0.9, wspace=0.9 / 5.2
    )
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        draw_boundary(ax, panel)
    figure.legend(
        handles=_legend_handles(),
        loc="lower center",
        ncols=4 if len(panels) > 1 else 3,
        fontsize="small",
        frameon=False,
    )
    return figure


CURVE_POINTS = 20_000
"""About this many epochs are drawn in the whole-curve panel (`curves.sampled_epochs`): every
one of the first tenth of them, then evenly spaced, so any epoch count has bounded memory."""
ZOOM_EPOCHS = 120
"""Width of the zoomed panel: enough epochs to see a two-value alternation epoch by epoch."""


def learning_curve_figure(cost: np.ndarray, title: str) -> Figure:
    """The whole curve on log-log axes (the early drop gets room), and beside it the epochs
    around the first rise of the cost, one marker per epoch, where an oscillation starts."""
    figure = Figure(figsize=(10, 4.4))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.84, wspace=0.28)
    whole, zoom = figure.subplots(1, 2, width_ratios=[3, 2])
    epochs = np.arange(1, cost.size + 1)
    sampled = sampled_epochs(cost.size, CURVE_POINTS)  # bounded memory for any epoch count
    shown = np.maximum(cost[sampled - 1], np.finfo(np.float64).tiny)  # log(0) does not exist
    whole.plot(sampled, shown, lw=0.8, color=CLASS_COLOURS[0], label=f"final cost {cost[-1]:.4f}")
    whole.set(xscale="log", yscale="log", xlabel="epoch (log scale)", ylabel="training cost")
    # Plain tick labels (1,000 rather than 10³: no mathtext to lay out) and no minor x ticks.
    whole.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    whole.xaxis.set_minor_locator(NullLocator())
    whole.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    whole.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    whole.yaxis.set_minor_formatter(NullFormatter())
    whole.grid(True, which="both", alpha=0.3)
    onset = first_increase(cost)
    centre = onset if onset is not None else cost.size
    low, high = max(1, centre - ZOOM_EPOCHS // 2), min(cost.size, centre + ZOOM_EPOCHS // 2)
    window = slice(low - 1, high)
    zoom.plot(epochs[window], cost[window], lw=0.6, color="grey")
    zoom.plot(epochs[window], cost[window], ls="", marker=".", ms=3, color=CLASS_COLOURS[1])
    zoom.set(xlabel="epoch", ylabel="training cost")
    zoom.ticklabel_format(useOffset=False, style="plain")
    zoom.grid(True, alpha=0.3)
    if onset is None:
        zoom.set_title("last epochs: the cost fell at every epoch", fontsize="medium")
    else:
        zoom.set_title(f"from epoch {onset} the cost rises for the first time", fontsize="medium")
        whole.axvline(onset, color=CLASS_COLOURS[1], lw=0.8, ls="--", label=f"epoch {onset}")
    whole.legend(loc="lower left")
    figure.suptitle(title)
    return figure


def to_png(figure: Figure, dpi: int) -> bytes:
    """PNG bytes with no Software or date metadata (byte-identical for identical figures)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
