"""The models compared in one figure: decision boundaries with the test points on top (two
features), or predicted probabilities by class and their calibration (any number of
features: `scratchnet.probplots`); the learning curve is `scratchnet.curveplot`'s.

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
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from scratchnet.datasets import Dataset
from scratchnet.metrics import predict_labels
from scratchnet.probplots import CLASS_COLOURS, ProbabilityPanel, probability_figure

REGION_COLOURS = ("#c6dbef", "#fcbba1")
MARGIN = 0.08
"""Fraction of the data's range added on each side of the plotted area."""
MAX_POINTS_SHOWN = 2_000
"""At most this many rows of each set are drawn: more hide each other and only slow drawing."""
SAMPLE_SEED = 20_240
"""Seeds the sample of a large set, so the same data gives the same figure."""
POINT_STYLES: dict[str, dict] = {
    "test point": {"s": 55, "edgecolors": "white", "linewidths": 0.8},
    "misclassified": {"s": 80, "marker": "X", "edgecolors": "k", "linewidths": 0.8},
    "training point": {"s": 9, "alpha": 0.3, "linewidths": 0},
}
"""How the boundary figure scatters each kind of point (in its class's colour), its legend
included."""


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


def shown_rows(n: int) -> np.ndarray:
    """Indices of the rows drawn out of `n`: all of them, or a seeded random sample of
    MAX_POINTS_SHOWN without replacement, sorted."""
    if n <= MAX_POINTS_SHOWN:
        return np.arange(n)
    rng = np.random.default_rng(SAMPLE_SEED)
    return np.sort(rng.choice(n, MAX_POINTS_SHOWN, replace=False))


def sample_note(kind: str, n: int) -> str | None:
    """The legend's note that only a sample of the `n` rows of `kind` is drawn, if it is."""
    if n <= MAX_POINTS_SHOWN:
        return None
    return f"{kind} points: {MAX_POINTS_SHOWN:,} of {n:,} shown, a random sample"


def draw_boundary(ax: Axes, panel: BoundaryPanel) -> None:
    """Shade each class's region, draw the boundary, and mark the test points (x = wrong);
    a large set is drawn as a sample (`shown_rows`)."""
    gx, gy, probability = panel.region
    ax.contourf(
        gx, gy, probability, levels=[0, panel.threshold, 1], cmap=ListedColormap(REGION_COLOURS)
    )
    if probability.min() < panel.threshold < probability.max():  # else there is no boundary
        ax.contour(gx, gy, probability, levels=[panel.threshold], colors="k", linewidths=1.0)
    if panel.train is not None:
        shown = shown_rows(len(panel.train))
        train_x, train_y = panel.train.x[shown], panel.train.y[shown]
        for label, colour in enumerate(CLASS_COLOURS):
            rows = train_y == label
            ax.scatter(*train_x[rows].T, c=colour, **POINT_STYLES["training point"])
    shown = shown_rows(len(panel.test))
    x, y = panel.test.x[shown], panel.test.y[shown]
    wrong = predict_labels(panel.probability(x), panel.threshold) != y
    for label, colour in enumerate(CLASS_COLOURS):
        right_rows = (y == label) & ~wrong
        wrong_rows = (y == label) & wrong
        ax.scatter(*x[right_rows].T, c=colour, **POINT_STYLES["test point"])
        ax.scatter(*x[wrong_rows].T, c=colour, **POINT_STYLES["misclassified"])
    ax.set(
        title=panel.title,
        xlabel=panel.test.feature_names[0],
        ylabel=panel.test.feature_names[1],
        xlim=(gx.min(), gx.max()),
        ylim=(gy.min(), gy.max()),
    )


def _marker(colour: str, marker: str = "o", s: float = 36, **style: float | str) -> Line2D:
    """A legend marker drawn like `scatter(c=colour, marker=marker, s=s, **style)` draws a point
    (`s` is an area in points², a legend marker's size a width)."""
    edge = {"edgecolors": "mec", "linewidths": "mew", "alpha": "alpha"}
    properties = {edge[key]: value for key, value in style.items()}
    return Line2D([], [], ls="", marker=marker, ms=np.sqrt(s), color=colour, **properties)


def _legend_entries() -> tuple[list, list[str]]:
    """The boundary figure's legend: regions, points as `draw_boundary` draws them (both
    classes' colours side by side where they share an entry), and the boundary."""
    handles: list = [Patch(color=REGION_COLOURS[k]) for k in (0, 1)]
    labels = ["predicted 0", "predicted 1"]
    handles += [_marker(colour, **POINT_STYLES["test point"]) for colour in CLASS_COLOURS]
    labels += [f"test point, class {k}" for k in (0, 1)]
    for kind in ("misclassified", "training point"):
        handles.append(tuple(_marker(colour, **POINT_STYLES[kind]) for colour in CLASS_COLOURS))
        labels.append(kind)
    handles.append(Line2D([], [], color="k", lw=1))
    labels.append("decision boundary")
    return handles, labels


def sample_notes(panels: Sequence[BoundaryPanel]) -> list[str]:
    """One note per set that the panels draw as a sample, each once."""
    notes = []
    for panel in panels:
        notes.append(sample_note("test", len(panel.test)))
        if panel.train is not None:
            notes.append(sample_note("training", len(panel.train)))
    return [note for note in dict.fromkeys(notes) if note is not None]


def boundary_figure(panels: Sequence[BoundaryPanel]) -> Figure:
    """One decision-boundary panel per model, side by side, with a shared legend below that
    says which sets are drawn as samples."""
    notes = sample_notes(panels)
    width = 5.2 * len(panels)
    notes_height = 0.2 * len(notes)  # inches added under the axes for the legend's notes
    height = 5.8 + notes_height
    figure = Figure(figsize=(width, height))
    # Fixed margins (in inches, converted to fractions): a layout engine would draw every
    # figure twice, which is most of the plot stage's time.
    figure.subplots_adjust(
        left=0.65 / width,
        right=1 - 0.2 / width,
        bottom=0.2 + notes_height / height,
        top=1 - 0.58 / height,
        wspace=0.9 / 5.2,
    )
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        draw_boundary(ax, panel)
    figure.legend(
        *_legend_entries(),
        handler_map={tuple: HandlerTuple(ndivide=None)},
        loc="lower center",
        ncols=4 if len(panels) > 1 else 3,
        fontsize="small",
        frameon=False,
        title="\n".join(notes) or None,
        title_fontsize="small",
    )
    return figure


def comparison_figure(
    models: Sequence[tuple[str, Callable[[np.ndarray], np.ndarray]]],
    train: Dataset,
    test: Dataset,
    threshold: float,
    grid_points: int,
) -> Figure:
    """The models (title, P(y = 1) of raw features) side by side: with two features their
    decision boundaries over the area of all the data, else `probability_figure`."""
    if test.n_features != 2:
        return probability_figure(
            [ProbabilityPanel(title, score(test.x), test.y, threshold) for title, score in models]
        )
    corners = [part.x.min(axis=0) for part in (train, test)]  # not a copy of every row
    extent = np.vstack([*corners, *(part.x.max(axis=0) for part in (train, test))])
    return boundary_figure(
        [
            BoundaryPanel(title, score, test, threshold, extent, grid_points, train)
            for title, score in models
        ]
    )


def to_png(figure: Figure, dpi: int) -> bytes:
    """PNG bytes with no Software or date metadata (byte-identical for identical figures)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
