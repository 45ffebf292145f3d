"""Learning-curve facts shared by the figure and by DVC's plot data (no matplotlib here, so
`evaluate` does not pay for importing it).

Everything here reads the cost history in blocks or reduces it in place, so its memory does
not grow with the number of epochs (a run may have 100,000,000)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

BLOCK = 1 << 18
"""Epochs handled at once when a full-length temporary would be needed (2 MiB of floats)."""
SMALLEST_CLIMB = np.log1p(1e-3)
"""A climb of the cost above its best by less than 0.1 % is rounding-sized: not an event."""
STEADY_CLIMB = np.log1p(1e-2)
"""The tail of a run whose cost never climbs 1 % above its best within the tail is steady:
its final cost stands for it."""
TAIL = 0.1
"""The share of the last epochs whose spread the figure reports for an unsteady run."""
ZOOM_EPOCHS = 120
"""The zoomed panel's usual width: enough epochs to see a two-value alternation epoch by epoch."""


def sampled_epochs(epochs: int, points: int = 1000) -> np.ndarray:
    """About `points` epochs (1-based) that draw a learning curve: every one of the first
    `points // 10`, then evenly spaced, and the last. DVC's plot data takes 1,000 of them (its
    page would otherwise embed every epoch for each revision)."""
    head = np.arange(1, min(epochs, points // 10) + 1)
    rest = np.arange(0, epochs + 1, max(1, -(-epochs // points)))[1:]
    return np.union1d(np.union1d(head, rest), [epochs])


def _blocks(cost: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(offset, log of each epoch's cost over the lowest cost up to it) per block of epochs:
    how far the cost has climbed back above its best, 0 where it is at its best."""
    best = np.inf
    for offset in range(0, cost.size, BLOCK):
        block = np.maximum(cost[offset : offset + BLOCK], np.finfo(np.float64).tiny)
        lowest = np.minimum.accumulate(block)
        np.minimum(lowest, best, out=lowest)
        best = lowest[-1]
        yield offset, np.log(block / lowest)


def largest_climb(cost: np.ndarray) -> float:
    """The largest log-ratio of a cost to the lowest cost before it (0 for a falling curve)."""
    return max((float(climb.max()) for _, climb in _blocks(cost)), default=0.0)


@dataclasses.dataclass(frozen=True)
class Climb:
    """The cost climbing away from its best so far: from `low` at epoch `start` (1-based),
    reaching half its largest climb of the whole run at epoch `reached`."""

    start: int
    reached: int
    low: float


def main_climb(cost: np.ndarray) -> Climb | None:
    """The event a reader of the learning curve should see epoch by epoch: where the cost
    first climbs at least half as far above its best as it ever does. A blip before a large
    oscillation is passed over, the onset of a steady alternation is found, and a curve that
    never climbs more than SMALLEST_CLIMB has none."""
    largest = largest_climb(cost)
    if largest < SMALLEST_CLIMB:
        return None
    reached = next(
        offset + int(np.argmax(climb >= largest / 2))
        for offset, climb in _blocks(cost)
        if climb.max() >= largest / 2
    )
    start = int(np.argmin(cost[: reached + 1]))  # the best cost before the climb
    return Climb(start=start + 1, reached=reached + 1, low=float(cost[start]))


def tail_range(cost: np.ndarray) -> tuple[float, float] | None:
    """The lowest and highest cost of the last TAIL of the epochs when the cost swings there
    (climbs more than STEADY_CLIMB above its best within them); None when it is steady, so
    the final cost stands for the run."""
    tail = cost[-max(1, round(TAIL * cost.size)) :]
    if largest_climb(tail) <= STEADY_CLIMB:
        return None
    return float(tail.min()), float(tail.max())


def log_buckets(epochs: int, buckets: int) -> np.ndarray:
    """0-based first epochs of at most `buckets` runs of epochs, each a similar width on a
    log axis: single epochs at the start, wide runs at the end."""
    edges = np.geomspace(1, epochs + 1, buckets + 1)[:-1]
    return np.unique(edges.astype(np.int64)) - 1


def linear_buckets(epochs: int, buckets: int) -> np.ndarray:
    """0-based first epochs of at most `buckets` runs of epochs of equal width (single epochs
    when there are no more than `buckets`)."""
    return np.unique(np.linspace(0, epochs, min(epochs, buckets), endpoint=False).astype(np.int64))


def envelope(cost: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest cost of each run of epochs beginning at `starts` (0-based,
    increasing, the first 0): drawn per pixel column they keep an oscillation visible however
    many epochs share a column, in memory that grows with `starts` alone."""
    return np.minimum.reduceat(cost, starts), np.maximum.reduceat(cost, starts)


def zoom_window(epochs: int, climb: Climb | None) -> tuple[int, int]:
    """First and last epoch (1-based) of the zoomed panel: a quarter of it before the climb's
    start, and at least until a quarter of ZOOM_EPOCHS after it reached half height (a slow
    climb widens it); the last ZOOM_EPOCHS when there is no climb."""
    if climb is None:
        return max(1, epochs - ZOOM_EPOCHS + 1), epochs
    width = max(ZOOM_EPOCHS, climb.reached - climb.start + ZOOM_EPOCHS // 2)
    low = max(1, climb.start - ZOOM_EPOCHS // 4)
    high = min(epochs, low + width - 1)
    return max(1, high - width + 1), high
