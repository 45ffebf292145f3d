"""Logistic regression by maximum likelihood: Newton's method (IRLS), as R's `glm(binomial)`.

Each step solves (Xᵀ W X) δ = Xᵀ (y - p) with W = diag(p(1 - p)); a step that lowers the
log-likelihood is halved until it does not. The fit stops when the gradient of the mean
log-likelihood has norm below `tol`.

On linearly separable data the MLE does not exist: the likelihood keeps rising as the
coefficients grow without bound. The fit detects this the moment an iterate separates the
training rows (every row on its own side of the boundary), warns with `SeparationWarning`, and
returns that iterate: a finite model whose boundary separates the training data. Quasi-complete
separation (separable but for rows on the boundary itself) converges numerically with huge
coefficients; like R, the fit then warns that fitted probabilities are numerically 0 or 1.
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
    """The training data is linearly separable, so the maximum-likelihood estimate is infinite."""


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

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + x @ self.coef

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.decision_function(x))


def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(x.shape[0]), x])


def fit(x: np.ndarray, y: np.ndarray, config: LogRegParams) -> LogisticModel:
    """Maximum-likelihood fit of an intercept and one coefficient per column of `x`."""
    design = _design(x)
    m = y.size
    y = y.astype(np.float64)
    y_sign = 1 - 2 * y
    beta = np.zeros(design.shape[1])

    def cost(b: np.ndarray) -> float:
        return binary_cross_entropy_from_logits(design @ b, y_sign)

    current = cost(beta)
    for iteration in range(config.max_iter + 1):
        eta = design @ beta
        p = sigmoid(eta)
        gradient = design.T @ (y - p) / m
        norm = float(np.linalg.norm(gradient))
        separated = bool(np.all(y_sign * eta < 0))
        if norm < config.tol or separated:
            break
        if iteration == config.max_iter:
            raise ConvergenceError(
                f"logistic regression did not converge in logreg.max_iter = {config.max_iter} "
                f"Newton steps (gradient norm {norm:.3g} > logreg.tol = {config.tol:g})"
            )
        hessian = (design.T * (p * (1 - p))) @ design / m
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        for _ in range(60):  # step halving: refuse a step that lowers the likelihood
            candidate = cost(beta + step)
            if candidate <= current + ROUNDING * max(1.0, current):
                break
            step /= 2
        else:
            raise ConvergenceError(
                f"logistic regression stalled at Newton step {iteration}: no fraction of the "
                f"step raises the likelihood (gradient norm {norm:.3g})"
            )
        beta, current = beta + step, candidate
    if separated:
        warnings.warn(
            "the training data is linearly separable, so the maximum-likelihood fit does not "
            f"exist; stopped at Newton step {iteration} with a finite model that separates it",
            SeparationWarning,
            stacklevel=2,
        )
    elif np.any(np.abs(eta) > SATURATED_LOGIT):
        warnings.warn(
            "fitted probabilities numerically 0 or 1 occurred (as R's glm warns): the training "
            "data may be quasi-separated, and then some coefficients are arbitrarily large",
            SeparationWarning,
            stacklevel=2,
        )
    return LogisticModel(float(beta[0]), beta[1:].copy(), iteration, norm, separated)
