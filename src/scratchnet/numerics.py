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


def softplus_row_means(u: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Mean of softplus(u) = log(1 + exp(u)) along the last axis, as float64. Overwrites `u`,
    and `scratch` (a buffer of u's shape) when one is given instead of allocating it.

    Computed as max(u, 0) + log1p(exp(-|u|)): no overflow and no warning at any u, exact to
    rounding in the tails (a confident mistake costs |u|). Each term is divided by the row
    length before the row is summed, so a mean near float max does not overflow either.
    """
    tail = np.abs(u, out=scratch)
    np.negative(tail, out=tail)
    np.exp(tail, out=tail)
    np.log1p(tail, out=tail)
    np.maximum(u, 0, out=u)
    u += tail
    u *= 1 / u.shape[-1]
    return np.add.reduce(u, axis=-1).astype(np.float64)


def binary_cross_entropy_from_logits(z: np.ndarray, y_sign: np.ndarray) -> float:
    """Mean cross-entropy of labels y given logits z, where `y_sign = 1 - 2y` (±1).

    The loss of one sample is `log(1 + exp(-z))` for y = 1 and `log(1 + exp(z))` for y = 0,
    i.e. softplus(y_sign × z): no log of 0 and no overflow, whatever z is.
    """
    return float(softplus_row_means(np.multiply(z, y_sign).reshape(1, -1))[0])
