"""Tests of the from-scratch network: gradients, training loop, divergence, dtypes, init."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scratchnet import nn, params
from scratchnet.errors import ParamsError, TrainingDivergedError

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


def ref_fit(x: np.ndarray, y: np.ndarray, config: params.NNParams) -> tuple[np.ndarray, dict]:
    """Plain gradient-descent loop from the same `nn.initialize` start; returns (history, arrays).

    The history stops at (and includes) the first non-finite cost.
    """
    arrays = {k: v.copy() for k, v in nn.initialize(x.shape[1], config).arrays().items()}
    history = []
    for _ in range(config.epochs):
        cost, grads = ref_cost_and_gradients(arrays, config.activation, x, y)
        history.append(cost)
        if not math.isfinite(cost):
            break
        for name in PARAM_NAMES:
            arrays[name] = arrays[name] - config.learning_rate * grads[name]
    return np.array(history), arrays


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


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_fit_matches_plain_gradient_descent_loop(activation: str) -> None:
    """fit = cost/gradient/update loop written out plainly, from the same initialization."""
    x, y = blobs()
    config = nn_config(activation=activation, epochs=60, hidden_units=5, learning_rate=0.8)
    result = nn.fit(x, y, config)
    ref_history, ref_arrays = ref_fit(x, y, config)
    assert result.cost_history.shape == (config.epochs,)
    assert result.cost_history.dtype == np.float64
    np.testing.assert_allclose(result.cost_history, ref_history, rtol=1e-12, atol=0)
    for name, array in result.network.arrays().items():
        assert rel_error(array, ref_arrays[name]) < 1e-12, name


def test_fit_is_deterministic() -> None:
    """Two runs with the same config are bit-identical."""
    x, y = blobs()
    config = nn_config(activation="relu", epochs=40, seed=9)
    first, second = nn.fit(x, y, config), nn.fit(x, y, config)
    np.testing.assert_array_equal(first.cost_history, second.cost_history)
    assert_same_parameters(first.network, second.network)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_fit_lowers_cost_on_easy_problem(activation: str) -> None:
    """On two separated blobs the cost starts near log 2 and falls well below it."""
    x, y = blobs()
    result = nn.fit(x, y, nn_config(activation=activation, epochs=300))
    history = result.cost_history
    assert history[0] == pytest.approx(math.log(2), rel=1e-2)  # tiny init: p ≈ 1/2
    assert history[-1] < 0.05 * history[0]
    accuracy = np.mean((nn.predict_proba(result.network, x) >= 0.5) == y)
    assert accuracy == 1.0


@pytest.mark.parametrize(("epochs", "log_every", "progress_every"), [(25, 10, None), (7, 10, 3)])
def test_fit_progress_callback_schedule(
    epochs: int, log_every: int, progress_every: int | None
) -> None:
    """progress(epoch, cost, elapsed) fires every `every` epochs and at the last epoch."""
    x, y = blobs()
    calls: list[tuple[int, float, float]] = []
    result = nn.fit(
        x,
        y,
        nn_config(epochs=epochs, log_every=log_every),
        progress=lambda *args: calls.append(args),
        progress_every=progress_every,
    )
    every = progress_every or log_every
    expected = [e for e in range(1, epochs + 1) if e % every == 0 or e == epochs]
    assert [epoch for epoch, _, _ in calls] == expected
    for epoch, cost, _ in calls:
        assert cost == result.cost_history[epoch - 1]
    elapsed = [t for _, _, t in calls]
    assert all(t >= 0 for t in elapsed)
    assert elapsed == sorted(elapsed)


def test_fit_float32_trains_in_float32_and_tracks_float64() -> None:
    """dtype float32: float32 weights, cost close to the float64 run, float64 probabilities."""
    x, y = blobs()
    result64 = nn.fit(x, y, nn_config(epochs=200, dtype="float64"))
    result32 = nn.fit(x, y, nn_config(epochs=200, dtype="float32"))
    assert {a.dtype for a in result32.network.arrays().values()} == {np.dtype(np.float32)}
    assert np.all(np.isfinite(result32.cost_history))
    np.testing.assert_allclose(result32.cost_history, result64.cost_history, rtol=1e-3)
    proba = nn.predict_proba(result32.network, x)
    assert proba.dtype == np.float64
    assert proba.shape == (x.shape[0],)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba, nn.predict_proba(result64.network, x), atol=1e-3)


def xor_data(seed: int = 0, m: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by the sign of x0·x1: not linearly separable."""
    x = np.random.default_rng(seed).normal(size=(m, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.float64)


# Diverging configurations, found by experiment on `xor_data()` (every seed 0..3 diverges):
# relu's unbounded hidden units make the cost grow ~1e10× per epoch until Z2 overflows;
# with a 1e308 learning rate a tanh network's per-sample losses reach ~1e307 after one update.
DIVERGING = {
    "relu-lr1e6": {"activation": "relu", "init_scale": 1.0, "learning_rate": 1e6},
    "tanh-lr1e308": {"activation": "tanh", "init_scale": 100.0, "learning_rate": 1e308},
}


@pytest.mark.parametrize("overrides", DIVERGING.values(), ids=DIVERGING.keys())
def test_divergence_raises_naming_epoch_and_learning_rate_without_warnings(
    overrides: dict,
) -> None:
    """A diverging run raises TrainingDivergedError naming the first non-finite epoch and the
    learning rate, and emits no NumPy RuntimeWarning on the way.

    Warnings are recorded rather than raised so the message checks still run first.
    """
    x, y = xor_data()
    config = nn_config(hidden_units=4, epochs=200, init="normal", **overrides)
    finite_epochs: list[int] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TrainingDivergedError) as excinfo:
            nn.fit(
                x,
                y,
                config,
                progress=lambda epoch, cost, _: finite_epochs.append(epoch),
                progress_every=1,
            )
    first_bad_epoch = len(finite_epochs) + 1
    assert finite_epochs == list(range(1, first_bad_epoch))
    assert first_bad_epoch >= 2  # the (finite) starting cost was logged before diverging
    message = str(excinfo.value)
    assert f"epoch {first_bad_epoch}:" in message
    assert f"learning_rate = {config.learning_rate}" in message
    assert [str(w.message) for w in caught] == []


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


def test_exploding_but_finite_cost_counts_as_divergence() -> None:
    """With tanh units the stable cost stays finite at lr 1e6, yet explodes: that is divergence."""
    x, y = xor_data()
    config = nn_config(hidden_units=4, epochs=50, learning_rate=1e6)
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+: cost .*learning_rate = 1000000"):
        nn.fit(x, y, config)


def test_converging_run_stays_below_the_blowup_bound() -> None:
    """A sensible run never trips the bound: its cost never exceeds the first epoch's."""
    x, y = xor_data()
    history = nn.fit(x, y, nn_config(hidden_units=4, epochs=300, learning_rate=1.0)).cost_history
    assert history.max() <= history[0]


def test_training_allocates_only_its_buffers() -> None:
    """Peak traced memory of a fit is its buffers: no h × m temporary, even a short-lived one.

    The workspace holds two (h + 1) × m arrays (A1 and g''s remainder, each with an extra row),
    X with a row of ones and X ∘ dZ2, four 1 × m rows, the parameters and their gradients, and
    an (h + 1) × (d + 1) product; the fit adds the logits of a block of epochs, a scratch
    buffer of that size for turning them into costs, and the cost history.
    """
    import tracemalloc

    h, m, d, epochs = 40, 2_000, 2, 50  # h × m well above NumPy's ufunc buffer
    x, y = xor_data(m=m)
    config = nn_config(hidden_units=h, epochs=epochs, log_every=epochs)
    nn.fit(x, y, config)  # warm caches (ufunc loops, imports) outside the measurement
    tracemalloc.start()
    nn.fit(x, y, config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    parameters = h * (d + 2) + 1
    block = min(epochs, nn.COST_BLOCK_FLOATS // m) * m
    buffers = 2 * (h + 1) * m + 2 * (d + 1) * m + 4 * m + 2 * parameters + (h + 1) * (d + 1)
    floats = buffers + 2 * block + epochs
    one_temporary = h * m * 8
    ufunc_buffer = np.getbufsize() * 8  # NumPy's own, for the in-place broadcast of y_sign
    assert floats * 8 <= peak < floats * 8 + ufunc_buffer + one_temporary // 2


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


@pytest.mark.parametrize("l2", [0.0, 0.2])
@pytest.mark.parametrize("batch_size", [7, 16, 64])
def test_mini_batch_cost_is_the_mean_over_the_epochs_rows(batch_size: int, l2: float) -> None:
    """At a learning rate too small to move the weights, an epoch of mini-batches costs what the
    full batch costs at the initial weights: the learning curve's cost is the mean over the
    epoch's rows (and the penalty once, not once per batch)."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(64, 3))
    y = (x[:, 0] > 0).astype(np.int64)
    config = nn_config(learning_rate=1e-300, batch_size=batch_size, l2=l2, init_scale=0.5)
    history = nn.fit(x, y, config).cost_history
    start = nn.cost_and_gradients(nn.initialize(3, config), x, y, l2=l2)[0]
    np.testing.assert_allclose(history, start, rtol=1e-12)


def test_mini_batches_are_reproducible_and_depend_on_the_seed() -> None:
    """Same seed, same weights; another seed draws other batches (and other initial weights)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    runs = [nn.fit(x, y, nn_config(batch_size=8, seed=seed)).network.flat for seed in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_batch_memory_cap_names_the_batch_size() -> None:
    """The cap on rows × hidden units applies to a batch, not to the data: 3,000 rows × 50,000
    units train in batches of 16, while a batch of 2,700 rows is refused naming nn.batch_size."""
    x, y = blobs(per_class=1500)
    wide = nn_config(hidden_units=50_000, epochs=1)
    assert len(y) * wide.hidden_units > nn.MAX_TRAINING_CELLS
    with pytest.raises(ParamsError, match="2,700 rows per batch"):
        nn.fit(x, y, dataclasses.replace(wide, batch_size=2_700))
    trained = nn.fit(x, y, dataclasses.replace(wide, batch_size=16))
    assert trained.cost_history.shape == (1,)


def test_progress_is_reported_within_long_epochs(monkeypatch) -> None:
    """With mini-batches, progress comes between epochs too, at fractional epochs."""
    monkeypatch.setattr(nn, "PROGRESS_SECONDS", 0.0)
    x, y = blobs()
    calls: list[float] = []
    nn.fit(x, y, nn_config(batch_size=16, epochs=2), lambda e, c, t: calls.append(e), 1)
    assert any(0 < epoch < 1 for epoch in calls)
    assert calls[-1] == 2


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_a_mini_batch_run_that_blows_up_in_its_first_epoch_is_divergence(optimizer: str) -> None:
    """The bound is measured from the cost at the initial weights (the first batch's), not from
    the first epoch's mean, which a run blowing up within that epoch would raise with it."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=(320, 2)) * 1.5
    y = (np.sin(3 * x[:, 0]) * x[:, 1] > 0).astype(np.int64)
    config = nn_config(hidden_units=40, epochs=1, learning_rate=500.0, batch_size=32)
    with pytest.raises(TrainingDivergedError, match=r"diverged at epoch 1: .*initial weights"):
        nn.fit(x, y, dataclasses.replace(config, optimizer=optimizer))
