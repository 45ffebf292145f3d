"""Tests of the training loop (scratchnet.training): against a plain gradient-descent loop,
determinism, progress, divergence, dtypes, mini-batches, weight decay and memory caps."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

from scratchnet import nn, params, training
from scratchnet.errors import ParamsError, TrainingDivergedError
from tests.test_nn import (
    ACTIVATION_NAMES,
    PARAM_NAMES,
    assert_same_parameters,
    blobs,
    nn_config,
    ref_cost_and_gradients,
    rel_error,
    xor_data,
)


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


# Diverging configurations, found by experiment on `xor_data()` (every seed 0..3 diverges):
# relu's unbounded hidden units make the cost grow ~1e10× per epoch until Z2 overflows;
# with a 1e308 learning rate a tanh network's per-sample losses reach ~1e307 after one update.
DIVERGING = {
    "relu-lr1e6": {"activation": "relu", "init_scale": 1.0, "learning_rate": 1e6},
    "tanh-lr1e308": {"activation": "tanh", "init_scale": 100.0, "learning_rate": 1e308},
}


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_fit_matches_plain_gradient_descent_loop(activation: str) -> None:
    """fit = cost/gradient/update loop written out plainly, from the same initialization."""
    x, y = blobs()
    config = nn_config(activation=activation, epochs=60, hidden_units=5, learning_rate=0.8)
    result = training.fit(x, y, config)
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
    first, second = training.fit(x, y, config), training.fit(x, y, config)
    np.testing.assert_array_equal(first.cost_history, second.cost_history)
    assert_same_parameters(first.network, second.network)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_fit_lowers_cost_on_easy_problem(activation: str) -> None:
    """On two separated blobs the cost starts near log 2 and falls well below it."""
    x, y = blobs()
    result = training.fit(x, y, nn_config(activation=activation, epochs=300))
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
    result = training.fit(
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
    result64 = training.fit(x, y, nn_config(epochs=200, dtype="float64"))
    result32 = training.fit(x, y, nn_config(epochs=200, dtype="float32"))
    assert {a.dtype for a in result32.network.arrays().values()} == {np.dtype(np.float32)}
    assert np.all(np.isfinite(result32.cost_history))
    np.testing.assert_allclose(result32.cost_history, result64.cost_history, rtol=1e-3)
    proba = nn.predict_proba(result32.network, x)
    assert proba.dtype == np.float64
    assert proba.shape == (x.shape[0],)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba, nn.predict_proba(result64.network, x), atol=1e-3)


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
            training.fit(
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


def test_exploding_but_finite_cost_counts_as_divergence() -> None:
    """With tanh units the stable cost stays finite at lr 1e6, yet explodes: that is divergence."""
    x, y = xor_data()
    config = nn_config(hidden_units=4, epochs=50, learning_rate=1e6)
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+: cost .*learning_rate = 1000000"):
        training.fit(x, y, config)


def test_converging_run_stays_below_the_blowup_bound() -> None:
    """A sensible run never trips the bound: its cost never exceeds the first epoch's."""
    x, y = xor_data()
    history = training.fit(
        x, y, nn_config(hidden_units=4, epochs=300, learning_rate=1.0)
    ).cost_history
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
    training.fit(x, y, config)  # warm caches (ufunc loops, imports) outside the measurement
    tracemalloc.start()
    training.fit(x, y, config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    parameters = h * (d + 2) + 1
    block = min(epochs, training.COST_BLOCK_FLOATS // m) * m
    buffers = 2 * (h + 1) * m + 2 * (d + 1) * m + 4 * m + 2 * parameters + (h + 1) * (d + 1)
    floats = buffers + 2 * block + epochs
    one_temporary = h * m * 8
    ufunc_buffer = np.getbufsize() * 8  # NumPy's own, for the in-place broadcast of y_sign
    assert floats * 8 <= peak < floats * 8 + ufunc_buffer + one_temporary // 2


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
    history = training.fit(x, y, config).cost_history
    start = nn.cost_and_gradients(nn.initialize(3, config), x, y, l2=l2)[0]
    np.testing.assert_allclose(history, start, rtol=1e-12)


def test_mini_batches_are_reproducible_and_depend_on_the_seed() -> None:
    """Same seed, same weights; another seed draws other batches (and other initial weights)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    runs = [
        training.fit(x, y, nn_config(batch_size=8, seed=seed)).network.flat for seed in (1, 1, 2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_batch_memory_cap_names_the_batch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap on rows × hidden units applies to a batch, not to the data: 3,000 rows × 50
    units (a cap of 100,000 cells standing for 2^27) train in batches of 16, while a batch of
    2,700 rows is refused naming nn.batch_size."""
    monkeypatch.setattr(training, "MAX_TRAINING_CELLS", 100_000)
    x, y = blobs(per_class=1500)
    wide = nn_config(hidden_units=50, epochs=1)
    assert len(y) * wide.hidden_units > training.MAX_TRAINING_CELLS
    with pytest.raises(ParamsError, match="2,700 rows per batch"):
        training.fit(x, y, dataclasses.replace(wide, batch_size=2_700))
    trained = training.fit(x, y, dataclasses.replace(wide, batch_size=16))
    assert trained.cost_history.shape == (1,)


def test_progress_is_reported_within_long_epochs(monkeypatch) -> None:
    """With mini-batches, progress comes between epochs too, at fractional epochs."""
    monkeypatch.setattr(training, "PROGRESS_SECONDS", 0.0)
    x, y = blobs()
    calls: list[float] = []
    training.fit(x, y, nn_config(batch_size=16, epochs=2), lambda e, c, t: calls.append(e), 1)
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
        training.fit(x, y, dataclasses.replace(config, optimizer=optimizer))
