"""The learning-curve figure: the whole curve on log-log axes and, beside it, epoch by epoch
the climb of the cost that matters most (`curves.main_climb`). (Its data for DVC, without
matplotlib: `scratchnet.curves`.)"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from scratchnet import curves
from scratchnet.probplots import CLASS_COLOURS

PANEL_BUCKETS = 2_000
"""Each panel draws the lowest and highest cost of at most this many runs of epochs (a few per
pixel column at the default dpi), so its memory and time are bounded for any epoch count."""
MARKED_EPOCHS = 300
"""A zoomed panel of at most this many epochs gets one marker per epoch."""


def _epoch_label(epoch: float, _position: int) -> str:
    """1,000 rather than 10³ or 1e3: no mathtext to lay out, and read as a count."""
    return f"{epoch:,.0f}"


def _draw_envelope(
    ax: Axes, cost: np.ndarray, first: int, starts: np.ndarray, **style: object
) -> None:
    """`cost` (epochs `first`, `first` + 1, …) as one line through each run's lowest and
    highest value: a steady curve reads as a line, an oscillation as a band of its full height."""
    lowest, highest = curves.envelope(cost, starts)
    x = np.append(np.repeat(first + starts, 2), first + cost.size - 1)
    y = np.append(np.column_stack([lowest, highest]).ravel(), cost[-1])
    ax.plot(x, np.maximum(y, np.finfo(np.float64).tiny), **style)  # log(0) does not exist


def _final_label(cost: np.ndarray) -> str:
    """The final cost when the run ends steady, else the range its cost swings over at the end
    (the last epoch's cost would be a chance pick)."""
    spread = curves.tail_range(cost)
    if spread is None:
        return f"final cost {cost[-1]:#.3g}"
    return f"last {100 * curves.TAIL:g} % of epochs: cost {spread[0]:#.3g}–{spread[1]:#.3g}"


def learning_curve_figure(cost: np.ndarray, title: str, penalised: bool = False) -> Figure:
    """The whole curve on log-log axes (the early drop gets room) with the zoomed epochs shaded,
    and beside it those epochs one by one around the climb of the cost that matters most."""
    label = "training cost + L2 penalty" if penalised else "training cost"
    figure = Figure(figsize=(10, 4.4))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.84, wspace=0.28)
    whole, zoom = figure.subplots(1, 2, width_ratios=[3, 2])
    starts = curves.log_buckets(cost.size, PANEL_BUCKETS)
    _draw_envelope(whole, cost, 1, starts, lw=0.8, color=CLASS_COLOURS[0], label=_final_label(cost))
    whole.set(xscale="log", yscale="log", xlabel="epoch (log scale)", ylabel=f"{label} (log scale)")
    # At most six decades labelled (every other one from a million epochs on, where the labels
    # grow), no minor x ticks.
    whole.xaxis.set_major_locator(LogLocator(numticks=6))
    whole.xaxis.set_major_formatter(FuncFormatter(_epoch_label))
    whole.xaxis.set_minor_locator(NullLocator())
    whole.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    whole.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    whole.yaxis.set_minor_formatter(NullFormatter())
    whole.grid(True, which="both", alpha=0.3)
    climb = curves.main_climb(cost)
    low, high = curves.zoom_window(cost.size, climb)
    shown = cost[low - 1 : high]
    whole.axvspan(  # edged, so a window narrow on the log axis still shows
        low,
        high,
        fc=(*to_rgb(CLASS_COLOURS[1]), 0.2),
        ec=CLASS_COLOURS[1],
        lw=0.8,
        label="epochs zoomed on the right",
    )
    _draw_envelope(
        zoom, shown, low, curves.linear_buckets(shown.size, PANEL_BUCKETS), lw=0.6, color="grey"
    )
    if shown.size <= MARKED_EPOCHS:
        zoom.plot(np.arange(low, high + 1), shown, ls="", marker=".", ms=3, color=CLASS_COLOURS[1])
    zoom.set(xlabel="epoch", ylabel=label)
    zoom.ticklabel_format(axis="y", useOffset=False, style="plain")
    zoom.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))  # room for 8-digit epochs
    zoom.xaxis.set_major_formatter(FuncFormatter(_epoch_label))
    zoom.grid(True, alpha=0.3)
    if climb is None:
        zoom.set_title(
            f"last epochs: the cost never climbed {np.expm1(curves.SMALLEST_CLIMB):.1%}",
            fontsize="medium",
        )
    else:
        top = shown[climb.start - low :].max()
        zoom.set_title(
            f"cost climbs {climb.low:#.4g} → {top:#.4g} after epoch {climb.start:,}",
            fontsize="medium",
        )
    whole.legend(loc="best")
    figure.suptitle(title)
    return figure
