"""Tests of the Newton/IRLS logistic regression against SciPy's MLE and statsmodels' ridge."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, special

from scratchnet import logreg, params
from scratchnet.errors import ScratchnetError

TIGHT = params.LogRegParams(max_iter=100, tol=1e-10)
SEPARATION = (
    "the training classes are linearly separable: the maximum-likelihood fit does not exist; "
    "set logreg.l2 > 0"
)
FIVE = (0.7, 1.2, -0.8, 0.5, 0.3, -1.0)
"""An intercept and five slopes: d = 5, more features than the flower's two."""


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


def separable_data(seed: int = 6, m: int = 60, d: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Labels given by a hyperplane with a margin around it: perfectly separable."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, d))
    margin = x @ rng.normal(size=d) - 0.2
    keep = np.abs(margin) > 0.1
    return x[keep], (margin[keep] > 0).astype(np.float64)


@pytest.mark.parametrize("d", [2, 5])
def test_separable_data_without_penalty_raises_separation_error(d: int) -> None:
    """l2 = 0 on separable data: the MLE does not exist, and one line says so and what to set."""
    x, y = separable_data(d=d)
    assert 0 < y.mean() < 1
    with pytest.raises(logreg.SeparationError, match=f"^{re.escape(SEPARATION)}$"):
        logreg.fit(x, y, TIGHT)
    assert issubclass(logreg.SeparationError, ScratchnetError)


def heavy_tailed_data(seed: int = 46, m: int = 40, d: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Cauchy features (some |x| in the hundreds): with a light penalty, some Newton steps lower
    the penalised cost while raising the cross-entropy, so steps must be judged on the former."""
    rng = np.random.default_rng(seed)
    x = rng.standard_cauchy(size=(m, d))
    eta = 3 * x @ rng.normal(size=d)
    return x, (rng.random(m) < special.expit(eta)).astype(np.float64)


def bfgs_then_root(fun, x0, args=(), jac=None, **_):
    """A `scipy.optimize.minimize` method: BFGS, then MINPACK's hybrd solving jac = 0 from there.

    BFGS alone stalls near a 1e-8 relative error (its line search sees only rounding in the
    cost); the root finder drives the gradient itself to rounding.
    """
    start = optimize.minimize(fun, x0, args, jac=jac, method="BFGS").x
    root = optimize.root(jac, start, args, method="hybr")
    return optimize.OptimizeResult(
        x=root.x, success=root.success, jac=root.fun, fun=fun(root.x, *args)
    )


def statsmodels_ridge(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """statsmodels' GLM ridge: minimises -loglike/n + Σ alpha_j b_j² / 2, alpha = (0, l2, …).

    The reference is vouched for by the norm of statsmodels' own penalised gradient.
    """
    alpha = np.r_[0.0, np.full(x.shape[1], l2)]
    glm = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial())
    with np.errstate(over="ignore"):  # its link overflows exp at logits < -709: 1 / inf = 0
        reference = np.asarray(
            glm.fit_regularized(alpha=alpha, L1_wt=0.0, opt_method=bfgs_then_root).params
        )
        assert np.linalg.norm(glm.score(reference) / y.size - alpha * reference) < 1e-12
    return reference


@pytest.mark.parametrize(
    ("data", "l2"),
    [
        (lambda: logistic_data(8, beta=FIVE), 0.01),
        (lambda: logistic_data(8, beta=FIVE), 1.0),
        (lambda: separable_data(d=5), 1e-3),
        (lambda: separable_data(d=5), 0.1),
        (heavy_tailed_data, 1e-3),
    ],
    ids=["logistic-0.01", "logistic-1", "separable-0.001", "separable-0.1", "cauchy-0.001"],
)
def test_ridge_fit_matches_statsmodels(data, l2: float) -> None:
    """At d = 5 the ridge fit equals statsmodels' to 1e-10 (relative), separable data included."""
    x, y = data()
    model = logreg.fit(x, y, params.LogRegParams(max_iter=100, tol=1e-12, l2=l2))
    np.testing.assert_allclose(coefficients(model), statsmodels_ridge(x, y, l2), rtol=1e-10)
    assert model.gradient_norm < 1e-12
    assert not model.separated


def penalised_cost(x: np.ndarray, y: np.ndarray, b: np.ndarray, l2: float) -> float:
    """Mean cross-entropy + l2 / 2 × Σ coef², written independently of the module."""
    eta = design(x) @ b
    return float(np.mean(np.logaddexp(0, eta) - y * eta) + l2 / 2 * np.sum(b[1:] ** 2))


def central_gradient(x: np.ndarray, y: np.ndarray, b: np.ndarray, l2: float) -> np.ndarray:
    """∂ penalised_cost / ∂ b_j by central differences (error ~1e-10 at h = 1e-5)."""
    h = 1e-5
    steps = h * np.eye(b.size)
    return np.array(
        [
            (penalised_cost(x, y, b + e, l2) - penalised_cost(x, y, b - e, l2)) / (2 * h)
            for e in steps
        ]
    )


def test_ridge_gradient_matches_central_differences() -> None:
    """At d = 5 the fit's gradient is that of the penalised cost, on every slope.

    Stopped early (tol = 1e-2), the reported gradient norm is the finite-difference one; run
    to convergence, the finite-difference gradient vanishes, intercept and slopes alike.
    """
    x, y = logistic_data(9, beta=FIVE)
    l2 = 0.5
    early = logreg.fit(x, y, params.LogRegParams(max_iter=100, tol=1e-2, l2=l2))
    assert early.iterations >= 1
    assert early.gradient_norm > 1e-4
    numeric = central_gradient(x, y, coefficients(early), l2)
    assert np.linalg.norm(numeric) == pytest.approx(early.gradient_norm, rel=1e-6)
    final = logreg.fit(x, y, params.LogRegParams(max_iter=100, tol=1e-12, l2=l2))
    assert np.linalg.norm(central_gradient(x, y, coefficients(final), l2)) < 1e-9


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


def test_quasi_separated_data_with_penalty_converges_quietly() -> None:
    """With l2 > 0 the penalised optimum is finite and unique: no SeparationWarning, even when a
    penalty as light as 1e-12 leaves fitted probabilities numerically 0 or 1."""
    x = np.array([[-2.0], [-1.0], [0.0], [0.0], [1.0], [2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    slopes = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for l2 in (1e-2, 1e-12):
            model = logreg.fit(x, y, params.LogRegParams(max_iter=100, tol=1e-10, l2=l2))
            assert model.gradient_norm < 1e-10
            slopes.append(model.coef[0])
    assert 1 < slopes[0] < slopes[1] < np.inf
    assert 2 * slopes[1] > logreg.SATURATED_LOGIT  # the logit at x = 2
