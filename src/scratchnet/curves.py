"""Learning-curve facts shared by the figure and by DVC's plot data (no matplotlib here, so
`evaluate` does not pay for importing it)."""

from __future__ import annotations

import numpy as np


def sampled_epochs(epochs: int, points: int = 1000) -> np.ndarray:
    """About `points` epochs (1-based) that draw a learning curve: every one of the first
    `points // 10`, then evenly spaced, and the last. DVC's plot data takes 1,000 of them (its
    page would otherwise embed every epoch for each revision), the figure more."""
    head = np.arange(1, min(epochs, points // 10) + 1)
    rest = np.arange(0, epochs + 1, max(1, -(-epochs // points)))[1:]
    return np.union1d(np.union1d(head, rest), [epochs])


def first_increase(cost: np.ndarray) -> int | None:
    """The first epoch (1-based) whose cost is above the previous epoch's, if any."""
    rising = np.flatnonzero(np.diff(cost) > 0)
    return int(rising[0]) + 2 if rising.size else None
