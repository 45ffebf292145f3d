"""Figures: decision boundaries with the test points on top, and the learning curve.

Built on matplotlib's object API (no pyplot, no global state) and rendered to PNG bytes
without the Software/date metadata, so identical inputs give identical files.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from scratchnet.datasets import Dataset
from scratchnet.metrics import predict_labels

CLASS_COLOURS = ("#1f77b4", "#d62728")
REGION_COLOURS = ("#c6dbef", "#fcbba1")
MARGIN = 0.08
"""Fraction of the data's range added on each side of the plotted area."""


@dataclasses.dataclass(frozen=True)
class BoundaryPanel:
    """One model's decision boundary: P(y = 1 | x) on raw features, a title and its test data."""

    title: str
    probability: Callable[[np.ndarray], np.ndarray]
    test: Dataset
    threshold: float


def grid_over(points: np.ndarray, grid_points: int) -> tuple[np.ndarray, np.ndarray]:
    """A `grid_points` × `grid_points` mesh covering `points` with a margin."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = (high - low) * MARGIN
    flat = (high + pad) - (low - pad) <= 1e-9 * np.maximum(np.abs(low), 1.0)
    pad = np.where(flat, MARGIN * np.maximum(np.abs(low), 1.0), pad)  # a constant feature
    axes = [np.linspace(lo, hi, grid_points) for lo, hi in zip(low - pad, high + pad, strict=True)]
    return np.meshgrid(*axes)


def draw_boundary(
    ax: Axes, panel: BoundaryPanel, extent_points: np.ndarray, grid_points: int
) -> None:
    """Shade each class's region, draw the boundary, and mark the test points (x = wrong)."""
    gx, gy = grid_over(extent_points, grid_points)
    probability = panel.probability(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    ax.contourf(
        gx, gy, probability, levels=[0, panel.threshold, 1], cmap=ListedColormap(REGION_COLOURS)
    )
    if probability.min() < panel.threshold < probability.max():  # else there is no boundary
        ax.contour(gx, gy, probability, levels=[panel.threshold], colors="k", linewidths=1.0)
    x, y = panel.test.x, panel.test.y
    wrong = predict_labels(panel.probability(x), panel.threshold) != y
    for label, colour in enumerate(CLASS_COLOURS):
        right_rows = (y == label) & ~wrong
        wrong_rows = (y == label) & wrong
        ax.scatter(*x[right_rows].T, s=28, c=colour, edgecolors="white", linewidths=0.6)
        ax.scatter(*x[wrong_rows].T, s=40, c=colour, marker="X", edgecolors="k", linewidths=0.6)
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
    handles.append(Line2D([], [], color="k", lw=1, label="decision boundary"))
    return handles


def boundary_figure(
    panels: Sequence[BoundaryPanel], extent_points: np.ndarray, grid_points: int
) -> Figure:
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
        draw_boundary(ax, panel, extent_points, grid_points)
    figure.legend(
        handles=_legend_handles(), loc="lower center", ncols=3, fontsize="small", frameon=False
    )
    return figure


def learning_curve_figure(cost: np.ndarray, title: str) -> Figure:
    """Training cost against epoch on a log scale, the final value in the legend."""
    figure = Figure(figsize=(7, 4.2))
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)
    ax = figure.subplots()
    epochs = np.arange(1, cost.size + 1)
    ax.plot(
        epochs,
        np.maximum(cost, np.finfo(np.float64).tiny),  # a cost of exactly 0 has no logarithm
        lw=0.8,
        color=CLASS_COLOURS[0],
        label=f"training cost, every epoch (final {cost[-1]:.4f})",
    )
    ax.set(title=title, xlabel="epoch", ylabel="binary cross-entropy (log scale)", yscale="log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right")
    return figure


def to_png(figure: Figure, dpi: int) -> bytes:
    """PNG bytes with no Software or date metadata (byte-identical for identical figures)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
