"""Tests of the from-scratch network: gradients, training loop, divergence, dtypes, init."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scratchnet import nn, params

ACTIVATION_NAMES = sorted(nn.ACTIVATIONS)
PARAM_NAMES = ("w1", "b1", "w2", "b2")
FD_STEP = 1e-6
KINK_MARGIN = 1e-4  # relu pre-activations must be this far from 0 for the finite differences


# --- independent textbook implementation -------------------------------------------------------


def _ref_sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


REF_ACTIVATIONS = {
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_ref_sigmoid, lambda z: _ref_sigmoid(z) * (1.0 - _ref_sigmoid(z))),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
}


def ref_cost_and_gradients(
    arrays: dict[str, np.ndarray], activation: str, x: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Plain forward/backward pass with the textbook formulas (X is features × samples)."""
    g, g_prime = REF_ACTIVATIONS[activation]
    w1, b1, w2, b2 = (arrays[name] for name in PARAM_NAMES)
    big_x, big_y = x.T, y.reshape(1, -1)
    m = big_x.shape[1]
    z1 = w1 @ big_x + b1
    a1 = g(z1)
    z2 = w2 @ a1 + b2
    a2 = _ref_sigmoid(z2)
    # log(1 + exp(∓z)) per sample; identical to -[y log a2 + (1 - y) log(1 - a2)].
    cost = float(np.mean(np.where(big_y == 1, np.logaddexp(0, -z2), np.logaddexp(0, z2))))
    dz2 = a2 - big_y
    dw2 = dz2 @ a1.T / m
    db2 = np.sum(dz2, axis=1, keepdims=True) / m
    dz1 = (w2.T @ dz2) * g_prime(z1)
    dw1 = dz1 @ big_x.T / m
    db1 = np.sum(dz1, axis=1, keepdims=True) / m
    return cost, {"w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


# --- helpers -----------------------------------------------------------------------------------


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = np.finfo(np.float64).tiny) -> float:
    """Norm-based relative error ‖a - b‖ / max(‖a‖ + ‖b‖, floor) over a whole array."""
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), floor)
    return float(np.linalg.norm(a - b)) / denom


# Central differences of a cost c carry rounding noise ~ eps·c / FD_STEP ≈ 1e-10 whatever the
# gradient, so an array whose gradient norm is below this floor is held to an absolute error
# of 1e-6 × floor = 1e-9 instead (still far below any real backprop mistake at that size).
# Over 3000 random problems the worst error measured this way was 1.8e-7.
FD_FLOOR = 1e-3


def assert_matches_finite_differences(
    grads: dict[str, np.ndarray], numeric: dict[str, np.ndarray]
) -> None:
    for name in PARAM_NAMES:
        assert grads[name].shape == numeric[name].shape, name
        assert rel_error(grads[name], numeric[name], FD_FLOOR) < 1e-6, name


def random_problem(
    rng: np.random.Generator, d: int, h: int, m: int, scale: float = 0.5
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Random float64 weights ~ Normal(0, scale²), inputs ~ Normal(0, 1), labels 0/1."""
    arrays = {
        "w1": rng.normal(0, scale, (h, d)),
        "b1": rng.normal(0, scale, (h, 1)),
        "w2": rng.normal(0, scale, (1, h)),
        "b2": rng.normal(0, scale, (1, 1)),
    }
    x = rng.normal(size=(m, d))
    y = (rng.random(m) < 0.5).astype(np.float64)
    return arrays, x, y


def make_net(arrays: dict[str, np.ndarray], activation: str) -> nn.Network:
    return nn.Network.from_arrays(*(arrays[name] for name in PARAM_NAMES), activation)


def assert_same_parameters(a: nn.Network, b: nn.Network) -> None:
    """Bit-identical W1, b1, W2, b2."""
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(a.arrays()[name], b.arrays()[name], err_msg=name)


def min_abs_preactivation(arrays: dict[str, np.ndarray], x: np.ndarray) -> float:
    return float(np.abs(arrays["w1"] @ x.T + arrays["b1"]).min())


def finite_difference_gradients(
    arrays: dict[str, np.ndarray], activation: str, x: np.ndarray, y: np.ndarray
) -> dict[str, np.ndarray]:
    """Central differences of `nn.cost_and_gradients`'s cost, one parameter at a time."""
    grads = {}
    for name in PARAM_NAMES:
        grad = np.empty_like(arrays[name])
        for index in np.ndindex(arrays[name].shape):
            costs = []
            for sign in (1.0, -1.0):
                shifted = {k: v.copy() for k, v in arrays.items()}
                shifted[name][index] += sign * FD_STEP
                costs.append(nn.cost_and_gradients(make_net(shifted, activation), x, y)[0])
            grad[index] = (costs[0] - costs[1]) / (2 * FD_STEP)
        grads[name] = grad
    return grads


def nn_config(**overrides: object) -> params.NNParams:
    values: dict = {
        "hidden_units": 4,
        "activation": "tanh",
        "epochs": 50,
        "learning_rate": 1.0,
        "init": "uniform",
        "init_scale": 0.01,
        "seed": 0,
        "log_every": 10,
        "dtype": "float64",
    }
    values.update(overrides)
    return params.NNParams(**values)


def blobs(seed: int = 3, per_class: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Two well-separated Gaussian blobs: an easy problem."""
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(-1.5, 0.7, (per_class, 2)), rng.normal(1.5, 0.7, (per_class, 2))])
    return x, np.r_[np.zeros(per_class), np.ones(per_class)]


# --- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("hidden", [1, 3, 40])
def test_gradients_match_finite_differences(activation: str, hidden: int) -> None:
    """Backprop gradients of every parameter agree with central differences of the cost."""
    rng = np.random.default_rng(1000 + hidden)
    arrays, x, y = random_problem(rng, d=3, h=hidden, m=17)
    assert min_abs_preactivation(arrays, x) > KINK_MARGIN  # relu kinks out of reach
    _, grads = nn.cost_and_gradients(make_net(arrays, activation), x, y)
    assert_matches_finite_differences(grads, finite_difference_gradients(arrays, activation, x, y))


@settings(deadline=None, max_examples=30)
@given(
    hidden=st.integers(1, 6),
    samples=st.integers(1, 12),
    features=st.integers(1, 4),
    activation=st.sampled_from(ACTIVATION_NAMES),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradients_match_finite_differences_random_shapes(
    hidden: int, samples: int, features: int, activation: str, seed: int
) -> None:
    """Property: for any small shape and activation, backprop equals central differences."""
    arrays, x, y = random_problem(np.random.default_rng(seed), features, hidden, samples)
    assume(min_abs_preactivation(arrays, x) > KINK_MARGIN)
    _, grads = nn.cost_and_gradients(make_net(arrays, activation), x, y)
    assert_matches_finite_differences(grads, finite_difference_gradients(arrays, activation, x, y))


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("hidden", [1, 3, 40])
def test_cost_and_gradients_match_textbook_formulas(activation: str, hidden: int) -> None:
    """The packed, buffer-reusing backward pass equals the plain textbook one to rounding."""
    arrays, x, y = random_problem(np.random.default_rng(2000 + hidden), d=2, h=hidden, m=31)
    cost, grads = nn.cost_and_gradients(make_net(arrays, activation), x, y)
    ref_cost, ref_grads = ref_cost_and_gradients(arrays, activation, x, y)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for name in PARAM_NAMES:
        assert rel_error(grads[name], ref_grads[name]) < 1e-12, name


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_bias_gradient_has_one_value_per_hidden_unit(activation: str) -> None:
    """db1 is a per-unit row sum (the seed post's bug summed it over units into one constant)."""
    hidden = 5
    arrays, x, y = random_problem(np.random.default_rng(7), d=2, h=hidden, m=20)
    _, grads = nn.cost_and_gradients(make_net(arrays, activation), x, y)
    db1 = grads["b1"]
    assert db1.shape == (hidden, 1)
    assert np.unique(db1).size == hidden
    _, ref_grads = ref_cost_and_gradients(arrays, activation, x, y)
    np.testing.assert_allclose(db1, ref_grads["b1"], rtol=1e-12, atol=0)
    summed_over_units = np.full_like(db1, ref_grads["b1"].sum())
    assert rel_error(db1, summed_over_units) > 0.1


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_workspace_steps_from_the_networks_current_weights(activation: str) -> None:
    """A Workspace reads its network's weights at every step: no stale state between steps."""
    rng = np.random.default_rng(11)
    arrays_a, x, y = random_problem(rng, d=3, h=6, m=25)
    arrays_b, _, _ = random_problem(rng, d=3, h=6, m=25)
    net = make_net(arrays_a, activation)
    fresh = {
        "a": nn.cost_and_gradients(make_net(arrays_a, activation), x, y),
        "b": nn.cost_and_gradients(make_net(arrays_b, activation), x, y),
    }
    workspace = nn.Workspace(net, x, y)
    logits = np.empty((1, x.shape[0]))
    for weights, which in [(arrays_a, "a"), (arrays_b, "b"), (arrays_a, "a")]:
        for name in PARAM_NAMES:
            net.arrays()[name][...] = weights[name]
        workspace.descent_step(logits)
        fresh_cost, fresh_grads = fresh[which]
        assert workspace.costs_from_logits(logits)[0] == pytest.approx(fresh_cost, rel=1e-14)
        for name in PARAM_NAMES:
            np.testing.assert_allclose(workspace.grads[name], fresh_grads[name], rtol=1e-14, atol=0)
    assert rel_error(fresh["a"][1]["w1"], fresh["b"][1]["w1"]) > 1e-3  # the two really differ


# --- initialize --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_initialize_uniform_shapes_zero_biases_and_range(dtype: str) -> None:
    """Uniform init: right shapes and dtype, zero biases, weights in [0, init_scale)."""
    scale, d, h = 0.01, 3, 7
    net = nn.initialize(d, nn_config(hidden_units=h, init_scale=scale, dtype=dtype))
    arrays = net.arrays()
    assert (net.hidden_units, net.n_features) == (h, d)
    assert {a.dtype for a in arrays.values()} == {np.dtype(dtype)}
    expected_shapes = {"w1": (h, d), "b1": (h, 1), "w2": (1, h), "b2": (1, 1)}
    assert {k: a.shape for k, a in arrays.items()} == expected_shapes
    assert not arrays["b1"].any()
    assert not arrays["b2"].any()
    for name in ("w1", "w2"):
        assert np.all(arrays[name] >= 0)
        assert np.all(arrays[name] < np.asarray(scale, dtype=dtype))
        assert np.unique(arrays[name]).size == arrays[name].size  # really random


def test_initialize_is_deterministic_per_seed() -> None:
    """Same seed gives bit-identical weights; another seed gives different ones."""
    for init in ("uniform", "normal"):
        first = nn.initialize(4, nn_config(seed=5, init=init, hidden_units=6))
        again = nn.initialize(4, nn_config(seed=5, init=init, hidden_units=6))
        other = nn.initialize(4, nn_config(seed=6, init=init, hidden_units=6))
        assert_same_parameters(first, again)
        for name in ("w1", "w2"):
            assert not np.array_equal(first.arrays()[name], other.arrays()[name]), name


def test_initialize_normal_is_scaled_and_signed() -> None:
    """Normal init draws weights of both signs scaled by init_scale, biases still zero."""
    scale = 0.5
    arrays = nn.initialize(50, nn_config(hidden_units=40, init="normal", init_scale=scale)).arrays()
    w1 = arrays["w1"]
    assert w1.min() < 0 < w1.max()
    assert np.std(w1) == pytest.approx(scale, rel=0.1)  # 2000 draws: sd within 10%
    assert not arrays["b1"].any()
    assert not arrays["b2"].any()


# --- fit ---------------------------------------------------------------------------------------


def xor_data(seed: int = 0, m: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by the sign of x0·x1: not linearly separable."""
    x = np.random.default_rng(seed).normal(size=(m, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.float64)


# --- predict_proba -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_predict_proba_matches_forward_pass(activation: str) -> None:
    """predict_proba = sigmoid of the textbook forward pass, one float64 value per row."""
    arrays, x, _ = random_problem(np.random.default_rng(21), d=3, h=5, m=30)
    proba = nn.predict_proba(make_net(arrays, activation), x)
    g, _ = REF_ACTIVATIONS[activation]
    z2 = arrays["w2"] @ g(arrays["w1"] @ x.T + arrays["b1"]) + arrays["b2"]
    assert proba.shape == (x.shape[0],)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, _ref_sigmoid(z2[0]), rtol=1e-13)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("magnitude", [1e3, 1e100, 1e300])
def test_predict_proba_large_inputs_warning_free_and_in_unit_interval(
    activation: str, magnitude: float
) -> None:
    """Huge |inputs| (logits far beyond exp's range) give no warnings and values in [0, 1]."""
    rng = np.random.default_rng(31)
    arrays, _, _ = random_problem(rng, d=2, h=4, m=1)
    x = rng.choice([-1.0, 1.0], size=(20, 2)) * magnitude * rng.uniform(0.5, 1.0, (20, 2))
    proba = nn.predict_proba(make_net(arrays, activation), x)
    assert proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))


# --- weight decay and mini-batches ---------------------------------------------------------------


def penalised_cost(arrays: dict[str, np.ndarray], activation: str, x, y, l2: float) -> float:
    """Cross-entropy plus l2 / 2 × (ΣW1² + ΣW2²), the penalty written out by hand."""
    weights = sum(float(np.sum(arrays[name] ** 2)) for name in ("w1", "w2"))
    return nn.cost_and_gradients(make_net(arrays, activation), x, y)[0] + l2 / 2 * weights


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_weight_decay_cost_and_gradients_match_the_penalised_cost(activation: str) -> None:
    """With l2 the cost is the cross-entropy plus l2/2 × the weights' squares (biases not), and
    the gradients are central differences of that hand-written cost, at d = 4."""
    rng = np.random.default_rng(77)
    arrays, x, y = random_problem(rng, d=4, h=3, m=19)
    arrays["b1"] += 0.7  # biases far from 0, so penalising them would show
    arrays["b2"] += 1.3
    assume_ok = min_abs_preactivation(arrays, x) > KINK_MARGIN
    assert assume_ok
    l2 = 0.3
    cost, grads = nn.cost_and_gradients(make_net(arrays, activation), x, y, l2=l2)
    assert cost == pytest.approx(penalised_cost(arrays, activation, x, y, l2), rel=1e-12)
    numeric = {}
    for name in PARAM_NAMES:
        numeric[name] = np.empty_like(arrays[name])
        for index in np.ndindex(arrays[name].shape):
            costs = []
            for sign in (1.0, -1.0):
                shifted = {k: v.copy() for k, v in arrays.items()}
                shifted[name][index] += sign * FD_STEP
                costs.append(penalised_cost(shifted, activation, x, y, l2))
            numeric[name][index] = (costs[0] - costs[1]) / (2 * FD_STEP)
    assert_matches_finite_differences(grads, numeric)
