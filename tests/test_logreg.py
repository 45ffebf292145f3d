"""Tests of the Newton/IRLS logistic regression against an independent SciPy MLE."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from scratchnet import logreg, params

TIGHT = params.LogRegParams(max_iter=100, tol=1e-10)


def logistic_data(
    seed: int, m: int = 300, beta: tuple[float, ...] = (0.7, 1.2, -0.8, 0.5)
) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from a logistic model with a non-zero intercept: not separable."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, len(beta) - 1))
    eta = beta[0] + x @ np.array(beta[1:])
    y = (rng.random(m) < 1 / (1 + np.exp(-eta))).astype(np.int64)
    return x, y


def design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(x.shape[0]), x])


def coefficients(model: logreg.LogisticModel) -> np.ndarray:
    return np.r_[model.intercept, model.coef]


def scipy_mle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Minimise the negative mean log-likelihood with SciPy's BFGS (analytic gradient).

    At a 1e-10 gradient tolerance BFGS sometimes reports "precision loss" although it has
    converged, so instead of `success` the reference is vouched for by its own gradient norm.
    """
    big_x, y = design(x), y.astype(np.float64)

    def nll(b: np.ndarray) -> float:
        eta = big_x @ b
        return float(np.mean(np.logaddexp(0, eta) - y * eta))

    def gradient(b: np.ndarray) -> np.ndarray:
        return -score(x, y, b)

    result = optimize.minimize(
        nll, np.zeros(big_x.shape[1]), jac=gradient, method="BFGS", options={"gtol": 1e-10}
    )
    assert np.linalg.norm(gradient(result.x)) < 1e-8, result.message
    return result.x


def score(x: np.ndarray, y: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Xᵀ(y - p) / m: zero at the maximum-likelihood estimate."""
    big_x = design(x)
    p = 1 / (1 + np.exp(-(big_x @ b)))
    return big_x.T @ (y - p) / y.size


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_matches_scipy_maximum_likelihood(seed: int) -> None:
    """On non-separable data the Newton fit equals SciPy's MLE, intercept included."""
    x, y = logistic_data(seed)
    model = logreg.fit(x, y, TIGHT)
    reference = scipy_mle(x, y)
    np.testing.assert_allclose(coefficients(model), reference, rtol=1e-6, atol=1e-8)
    assert not model.separated
    assert model.coef.shape == (x.shape[1],)
    assert isinstance(model.intercept, float)
    assert abs(model.intercept) > 0.1  # the data really has an intercept to recover


def test_fit_solves_the_score_equations() -> None:
    """Xᵀ(y - p) = 0 at the returned coefficients; the reported gradient norm is below 1e-8."""
    x, y = logistic_data(3)
    model = logreg.fit(x, y, TIGHT)
    assert model.gradient_norm < 1e-8
    assert np.linalg.norm(score(x, y, coefficients(model))) < 1e-8
    # The intercept's score equation: mean predicted probability = observed positive rate.
    assert np.mean(model.predict_proba(x)) == pytest.approx(np.mean(y), abs=1e-8)


def test_fit_intercept_absorbs_a_shift_of_the_features() -> None:
    """Shifting x by c leaves the slopes unchanged and moves the intercept by -coef·c."""
    x, y = logistic_data(4)
    shift = np.array([3.0, -2.0, 10.0])
    base, shifted = logreg.fit(x, y, TIGHT), logreg.fit(x + shift, y, TIGHT)
    np.testing.assert_allclose(shifted.coef, base.coef, rtol=1e-8)
    assert shifted.intercept == pytest.approx(base.intercept - base.coef @ shift, rel=1e-8)
    np.testing.assert_allclose(shifted.predict_proba(x + shift), base.predict_proba(x), atol=1e-10)


def test_fit_model_predictions_use_intercept_and_coefficients() -> None:
    """decision_function = intercept + x·coef and predict_proba is its sigmoid."""
    x, y = logistic_data(5)
    model = logreg.fit(x, y, TIGHT)
    eta = model.intercept + x @ model.coef
    np.testing.assert_allclose(model.decision_function(x), eta, rtol=1e-15)
    np.testing.assert_allclose(model.predict_proba(x), 1 / (1 + np.exp(-eta)), rtol=1e-14)


def separable_data(seed: int = 6, m: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Labels given by a line with a margin around it: perfectly separable."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 2))
    margin = x[:, 0] + 0.5 * x[:, 1] - 0.2
    x = x[np.abs(margin) > 0.1]
    y = (x[:, 0] + 0.5 * x[:, 1] - 0.2 > 0).astype(np.float64)
    return x, y


def test_separable_data_warns_and_returns_finite_separating_model() -> None:
    """Separable data: SeparationWarning, finite coefficients, `separated`, perfect training fit."""
    x, y = separable_data()
    assert 0 < y.mean() < 1
    with pytest.warns(logreg.SeparationWarning, match="linearly separable"):
        model = logreg.fit(x, y, TIGHT)
    assert model.separated
    assert np.all(np.isfinite(coefficients(model)))
    assert model.iterations <= TIGHT.max_iter
    np.testing.assert_array_equal(model.decision_function(x) > 0, y == 1)
    proba = model.predict_proba(x)
    np.testing.assert_array_equal(proba > 0.5, y == 1)


def test_too_few_iterations_raise_convergence_error() -> None:
    """max_iter = 1 with tol = 1e-14 on non-separable data raises ConvergenceError naming it."""
    x, y = logistic_data(7)
    with pytest.raises(logreg.ConvergenceError, match=r"logreg\.max_iter = 1\b"):
        logreg.fit(x, y, params.LogRegParams(max_iter=1, tol=1e-14))


def test_enough_iterations_with_the_same_tolerance_converge() -> None:
    """The ConvergenceError above is about the iteration budget: more iterations succeed."""
    x, y = logistic_data(7)
    model = logreg.fit(x, y, params.LogRegParams(max_iter=50, tol=1e-14))
    assert model.gradient_norm < 1e-14
    assert 1 < model.iterations <= 50


def test_quasi_separated_data_warns_like_r() -> None:
    """Separable but for two tied rows: the fit converges with huge coefficients and warns."""
    x = np.array([[-2.0], [-1.0], [0.0], [0.0], [1.0], [2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    with pytest.warns(logreg.SeparationWarning, match="numerically 0 or 1"):
        model = logreg.fit(x, y, params.LogRegParams(max_iter=100, tol=1e-10))
    assert not model.separated
    assert abs(model.coef[0]) > logreg.SATURATED_LOGIT / 2
