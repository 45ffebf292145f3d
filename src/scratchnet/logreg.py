"""Logistic regression by Newton's method (IRLS), as R's `glm(binomial)`, with an optional ridge.

The fit minimises the mean cross-entropy + l2 / 2 × Σ coef² (the intercept is not penalised;
l2 = 0 is plain maximum likelihood). Each step solves (Xᵀ W X / m + l2 P) δ = g, with
W = diag(p(1 - p)), P the identity without its intercept entry and g = Xᵀ (y - p) / m - l2 P β
(minus the objective's gradient); a step that raises the objective is halved until it does
not. The fit stops when |g| < `tol`.

On linearly separable data the maximum-likelihood estimate does not exist: the likelihood keeps
rising as the coefficients grow without bound. With l2 = 0 the fit raises `SeparationError` the
moment an iterate separates the training rows; with l2 > 0 the penalised optimum exists and the
fit converges to it. Quasi-complete separation (separable but for rows on the boundary itself)
converges numerically with huge coefficients at l2 = 0; like R, the fit then warns that fitted
probabilities are numerically 0 or 1.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from scratchnet.errors import ScratchnetError
from scratchnet.numerics import binary_cross_entropy_from_logits, sigmoid
from scratchnet.params import LogRegParams

ROUNDING = 8 * np.finfo(np.float64).eps
"""Cost changes this small (relative) are rounding noise, not a worse fit."""


SATURATED_LOGIT = 30.0
"""Beyond this |logit| a fitted probability is within 1e-13 of 0 or 1."""


class SeparationWarning(UserWarning):
    """The training data is quasi-separated: some maximum-likelihood coefficients are huge."""


class SeparationError(ScratchnetError):
    """The training classes are linearly separable, so the unpenalised fit does not exist."""


class ConvergenceError(ScratchnetError):
    """Newton's method used `max_iter` iterations without reaching the tolerance."""


@dataclasses.dataclass(frozen=True, eq=False)
class LogisticModel:
    """P(y = 1 | x) = sigmoid(intercept + x · coef), plus how the fit ended."""

    intercept: float
    coef: np.ndarray
    iterations: int
    gradient_norm: float
    separated: bool
    """Kept for the model-file format: `fit` raises on separable data, so it returns False."""

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + x @ self.coef

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.decision_function(x))


def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(x.shape[0]), x])


def fit(x: np.ndarray, y: np.ndarray, config: LogRegParams) -> LogisticModel:
    """Fit an intercept and one coefficient per column of `x`, ridge-penalised by `config.l2`.

    The penalty terms are added only when l2 > 0, so the l2 = 0 fit is plain maximum
    likelihood bit for bit.
    """
    design = _design(x)
    m = y.size
    y = y.astype(np.float64)
    y_sign = 1 - 2 * y
    beta = np.zeros(design.shape[1])
    l2 = config.l2
    slopes = np.arange(1, design.shape[1])

    def cost(b: np.ndarray) -> float:
        value = binary_cross_entropy_from_logits(design @ b, y_sign)
        if l2 > 0:
            value += l2 / 2 * float(b[1:] @ b[1:])
        return value

    current = cost(beta)
    for iteration in range(config.max_iter + 1):
        eta = design @ beta
        p = sigmoid(eta)
        gradient = design.T @ (y - p) / m
        if l2 > 0:
            gradient[1:] -= l2 * beta[1:]
        elif np.all(y_sign * eta < 0):
            raise SeparationError(
                "the training classes are linearly separable: the maximum-likelihood fit does "
                "not exist; set logreg.l2 > 0"
            )
        norm = float(np.linalg.norm(gradient))
        if norm < config.tol:
            break
        if iteration == config.max_iter:
            raise ConvergenceError(
                f"logistic regression did not converge in logreg.max_iter = {config.max_iter} "
                f"Newton steps (gradient norm {norm:.3g} > logreg.tol = {config.tol:g})"
            )
        hessian = (design.T * (p * (1 - p))) @ design / m
        if l2 > 0:
            hessian[slopes, slopes] += l2
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        for _ in range(60):  # step halving: refuse a step that raises the cost
            candidate = cost(beta + step)
            if candidate <= current + ROUNDING * max(1.0, current):
                break
            step /= 2
        else:
            raise ConvergenceError(
                f"logistic regression stalled at Newton step {iteration}: no fraction of the "
                f"step lowers the cost (gradient norm {norm:.3g})"
            )
        beta, current = beta + step, candidate
    if l2 == 0 and np.any(np.abs(eta) > SATURATED_LOGIT):
        warnings.warn(
            "fitted probabilities numerically 0 or 1 occurred (as R's glm warns): the training "
            "data may be quasi-separated, and then some coefficients are arbitrarily large",
            SeparationWarning,
            stacklevel=2,
        )
    return LogisticModel(float(beta[0]), beta[1:].copy(), iteration, norm, separated=False)
