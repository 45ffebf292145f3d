"""Tests of the warning-free numerical building blocks: sigmoid and cross-entropy from logits."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet.numerics import binary_cross_entropy_from_logits, sigmoid, softplus_row_means

EPS = np.finfo(np.float64).eps
HUGE = np.finfo(np.float64).max


def naive_sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def naive_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    p = naive_sigmoid(z)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def random_labels(rng: np.random.Generator, size: int) -> np.ndarray:
    return (rng.random(size) < 0.5).astype(np.float64)


# --- sigmoid -----------------------------------------------------------------------------------


def test_sigmoid_matches_textbook_formula_on_moderate_z() -> None:
    """sigmoid(z) = 1/(1+exp(-z)) to ~1 ulp of the result (relative, or absolute near 0)."""
    z = np.concatenate([np.linspace(-40, 40, 4001), np.random.default_rng(0).normal(0, 5, 1000)])
    np.testing.assert_allclose(sigmoid(z), naive_sigmoid(z), rtol=1e-15, atol=EPS)


def test_sigmoid_is_relatively_accurate_where_it_is_not_tiny() -> None:
    """Relative error ≤ 2 ulp for z ≥ 0 and < 2e-14 down to z = -5 (sigmoid ≈ 0.0067).

    Further left `(1 + tanh(z/2)) / 2` is accurate only in absolute terms (≤ 1 ulp of 1).
    """
    z = np.linspace(0, 40, 4001)
    rel = np.abs(sigmoid(z) - naive_sigmoid(z)) / naive_sigmoid(z)
    assert rel.max() <= 2 * EPS
    z = np.linspace(-5, 0, 4001)
    rel = np.abs(sigmoid(z) - naive_sigmoid(z)) / naive_sigmoid(z)
    assert rel.max() < 2e-14


def test_sigmoid_symmetry() -> None:
    """sigmoid(-z) = 1 - sigmoid(z) to rounding."""
    z = np.random.default_rng(1).normal(0, 10, 500)
    np.testing.assert_allclose(sigmoid(-z), 1 - sigmoid(z), rtol=0, atol=2 * EPS)


def test_sigmoid_extremes_are_exact_and_warning_free() -> None:
    """At ±1e308, ±float max and ±inf: exactly 0 or 1, no NumPy warning (warnings are errors)."""
    z = np.array([1e308, HUGE, np.inf, 1e3, -1e3, -1e308, -HUGE, -np.inf])
    expected = (z > 0).astype(np.float64)
    np.testing.assert_array_equal(sigmoid(z), expected)


def test_sigmoid_range_on_wide_logits() -> None:
    """Values stay inside [0, 1] over logits spanning 600 orders of magnitude."""
    magnitudes = np.logspace(-300, 308, 2000)
    z = np.concatenate([magnitudes, -magnitudes, [0.0]])
    s = sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    assert sigmoid(np.array([0.0]))[0] == 0.5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_writes_into_out_buffer(dtype: type) -> None:
    """With out= the result lands in (and is) the given buffer, in its dtype."""
    z = np.random.default_rng(2).normal(0, 4, (3, 7))
    out = np.empty(z.shape, dtype)
    result = sigmoid(z.astype(dtype), out=out)
    assert result is out
    tol = {np.float64: 1e-15, np.float32: 1e-6}[dtype]
    np.testing.assert_allclose(out, naive_sigmoid(z), rtol=tol, atol=tol)


def test_sigmoid_in_place() -> None:
    """sigmoid(z, out=z) (as the network's hidden layer calls it) overwrites z correctly."""
    z = np.random.default_rng(3).normal(0, 4, 50)
    expected = naive_sigmoid(z)
    result = sigmoid(z, out=z)
    assert result is z
    np.testing.assert_allclose(z, expected, rtol=1e-15, atol=EPS)


def test_sigmoid_leaves_input_untouched_without_out() -> None:
    """Without out= the input array is not modified."""
    z = np.random.default_rng(4).normal(size=20)
    before = z.copy()
    sigmoid(z)
    np.testing.assert_array_equal(z, before)


# --- binary cross-entropy from logits ----------------------------------------------------------


def test_cross_entropy_matches_naive_formula_on_moderate_logits() -> None:
    """Matches -mean(y log p + (1-y) log(1-p)) with y_sign = 1 - 2y, to 1e-12."""
    rng = np.random.default_rng(5)
    for scale in (0.1, 1.0, 5.0):
        z = rng.normal(0, scale, 300)
        y = random_labels(rng, z.size)
        value = binary_cross_entropy_from_logits(z, 1 - 2 * y)
        assert isinstance(value, float)
        assert value == pytest.approx(naive_cross_entropy(z, y), rel=1e-12)


def test_softplus_row_means_are_each_rows_mean_loss() -> None:
    """Row r of the result is the mean of log(1 + exp(u)) over row r, to 1e-15, in float64."""
    rng = np.random.default_rng(6)
    u = rng.normal(0, 30, (7, 40)).astype(np.float32).astype(np.float64)
    expected = np.log1p(np.exp(u.astype(np.longdouble))).mean(axis=1)
    for dtype in (np.float64, np.float32):
        means = softplus_row_means(u.astype(dtype))
        assert means.dtype == np.float64
        assert means.shape == (7,)
        rtol = 1e-15 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(means, expected.astype(np.float64), rtol=rtol)


@pytest.mark.parametrize("magnitude", [1e3, 1e20, 1e100, 1e300])
def test_cross_entropy_finite_and_warning_free_for_huge_logits(magnitude: float) -> None:
    """|z| up to 1e300: a confident right answer costs 0, a confident wrong one costs |z|."""
    z = np.array([magnitude, -magnitude, magnitude, -magnitude])
    y = np.array([1.0, 0.0, 0.0, 1.0])  # two right, two wrong
    value = binary_cross_entropy_from_logits(z, 1 - 2 * y)
    assert np.isfinite(value)
    wrong = (z > 0) != (y == 1)
    expected = float(np.where(wrong, np.abs(z), 0.0).mean())
    assert value == pytest.approx(expected, rel=1e-15)


def test_cross_entropy_of_zero_logits_is_log_two() -> None:
    """p = 1/2 for every sample costs log 2 whatever the labels."""
    y = random_labels(np.random.default_rng(7), 25)
    value = binary_cross_entropy_from_logits(np.zeros(25), 1 - 2 * y)
    assert value == pytest.approx(np.log(2), rel=1e-15)


def test_cross_entropy_mean_does_not_overflow_near_float_max() -> None:
    """Two wrong predictions at |z| = 1e308 have a finite mean loss of 1e308.

    Summing first would overflow to inf (and warn) although the mean is representable.
    """
    z = np.array([1e308, -1e308])
    y = np.array([0.0, 1.0])  # both wrong: each sample's loss is exactly |z| = 1e308
    value = binary_cross_entropy_from_logits(z, 1 - 2 * y)
    assert value == pytest.approx(1e308, rel=1e-15)
