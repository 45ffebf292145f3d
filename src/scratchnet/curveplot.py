"""The learning-curve figure: the whole curve on log-log axes and the epochs around the first
rise of the cost. (Its data for DVC, without matplotlib: `scratchnet.curves`.)"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

from scratchnet.curves import first_increase, sampled_epochs
from scratchnet.plots import CLASS_COLOURS

CURVE_POINTS = 20_000
"""About this many epochs are drawn in the whole-curve panel (`curves.sampled_epochs`): every
one of the first tenth of them, then evenly spaced, so any epoch count has bounded memory."""
ZOOM_EPOCHS = 120
"""Width of the zoomed panel: enough epochs to see a two-value alternation epoch by epoch."""


def learning_curve_figure(cost: np.ndarray, title: str, penalised: bool = False) -> Figure:
    """The whole curve on log-log axes (the early drop gets room), and beside it the epochs
    around the first rise of the cost, one marker per epoch, where an oscillation starts."""
    label = "training cost + L2 penalty" if penalised else "training cost"
    figure = Figure(figsize=(10, 4.4))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.84, wspace=0.28)
    whole, zoom = figure.subplots(1, 2, width_ratios=[3, 2])
    epochs = np.arange(1, cost.size + 1)
    sampled = sampled_epochs(cost.size, CURVE_POINTS)  # bounded memory for any epoch count
    shown = np.maximum(cost[sampled - 1], np.finfo(np.float64).tiny)  # log(0) does not exist
    whole.plot(sampled, shown, lw=0.8, color=CLASS_COLOURS[0], label=f"final cost {cost[-1]:.4f}")
    whole.set(xscale="log", yscale="log", xlabel="epoch (log scale)", ylabel=label)
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
    zoom.set(xlabel="epoch", ylabel=label)
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
