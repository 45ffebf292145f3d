"""Warning-free building blocks shared by both models and the metrics."""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function as `(1 + tanh(z / 2)) / 2`: no overflow or warning at any z.

    Accurate to rounding in absolute terms (what gradients and thresholds need); relative
    precision fades for tail probabilities below ~1e-9, which is why the costs are computed from
    logits instead. Written with `out=` so the training loop can reuse a preallocated buffer.
    """
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def binary_cross_entropy_from_logits(
    z: np.ndarray, y_sign: np.ndarray, out: np.ndarray | None = None
) -> float:
    """Mean cross-entropy of labels y given logits z, where `y_sign = 1 - 2y` (±1).

    The loss of one sample is `log(1 + exp(-z))` for y = 1 and `log(1 + exp(z))` for y = 0,
    i.e. `logaddexp(0, y_sign * z)`: no log of 0 and no overflow, whatever z is. `out`
    receives each sample's share of the mean (its loss / n).
    """
    out = np.multiply(z, y_sign, out=out)
    np.logaddexp(0.0, out, out=out)
    out *= 1 / out.size  # average before summing: no overflow even for losses near float max
    return float(out.sum())
