"""A one-hidden-layer network written from scratch: init, forward, cost, backprop, update, fit.

Layout: features × samples, as in the seed post (X is d × m, activations are h × m).

    Z1 = W1 X + b1    A1 = g(Z1)    Z2 = W2 A1 + b2    A2 = sigmoid(Z2)
    cost = mean over samples of -[y log A2 + (1 - y) log(1 - A2)]  (computed from Z2, stably)
    dZ2 = A2 - Y                      dW2 = 1/m (dZ2 A1ᵀ)    db2 = 1/m Σ_samples dZ2
    dZ1 = (W2ᵀ dZ2) ∘ g'(Z1)          dW1 = 1/m (dZ1 Xᵀ)     db1 = 1/m Σ_samples dZ1  (one per unit)

g' is written in terms of the activation's output A1 (tanh: 1 - A1², sigmoid: A1 (1 - A1),
relu: [A1 > 0]), so Z1 needs no buffer of its own. The gradients are checked against central
finite differences in tests/test_nn.py.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import time
from collections.abc import Callable

import numpy as np

from scratchnet.errors import ParamsError, TrainingDivergedError
from scratchnet.numerics import binary_cross_entropy_from_logits, sigmoid
from scratchnet.params import NNParams


@dataclasses.dataclass(frozen=True)
class Activation:
    """A hidden-layer activation: `forward(z, out)` and its derivative from the output `a`."""

    forward: Callable[[np.ndarray, np.ndarray], object]
    derivative: Callable[[np.ndarray, np.ndarray], object]


def _tanh_derivative(a: np.ndarray, out: np.ndarray) -> None:
    np.square(a, out=out)
    np.subtract(1, out, out=out)


def _sigmoid_derivative(a: np.ndarray, out: np.ndarray) -> None:
    np.subtract(1, a, out=out)
    out *= a


def _relu(z: np.ndarray, out: np.ndarray) -> None:
    np.maximum(z, 0, out=out)


def _relu_derivative(a: np.ndarray, out: np.ndarray) -> None:
    np.greater(a, 0, out=out)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(lambda z, out: np.tanh(z, out=out), _tanh_derivative),
    "sigmoid": Activation(sigmoid, _sigmoid_derivative),
    "relu": Activation(_relu, _relu_derivative),
}


PARAMETER_NAMES = ("w1", "b1", "w2", "b2")


def _views(flat: np.ndarray, hidden_units: int, n_features: int) -> dict[str, np.ndarray]:
    """W1, b1, W2, b2 as views of a flat vector laid out as [W1 | b1] (row-major), W2, b2.

    Storing b1 as the last column of [W1 | b1] lets the forward pass add the bias inside the
    matrix product (against a row of ones under X) instead of in a broadcast pass over h × m.
    """
    h, d = hidden_units, n_features
    layer1 = flat[: h * (d + 1)].reshape(h, d + 1)
    return {
        "w1": layer1[:, :d],
        "b1": layer1[:, d:],
        "w2": flat[h * (d + 1) : h * (d + 2)].reshape(1, h),
        "b2": flat[h * (d + 2) :].reshape(1, 1),
        "layer1": layer1,
    }


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """All parameters in one flat vector of h (d + 2) + 1 floats; W1, b1, W2, b2 are views.

    One vector makes a gradient-descent update two whole-vector operations instead of eight
    small ones: at this size per-call overhead, not arithmetic, is what costs.
    """

    flat: np.ndarray
    hidden_units: int
    n_features: int
    activation: str

    @classmethod
    def from_arrays(
        cls, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, activation: str
    ) -> Network:
        """A network holding copies of W1 (h × d), b1 (h × 1), W2 (1 × h), b2 (1 × 1)."""
        h, d = np.shape(w1)
        net = cls(np.empty(h * (d + 2) + 1, np.result_type(w1, b1, w2, b2)), h, d, activation)
        views = net.arrays()
        for name, array in zip(PARAMETER_NAMES, (w1, b1, w2, b2), strict=True):
            if np.shape(array) != views[name].shape:
                raise ValueError(
                    f"{name} has shape {np.shape(array)}, expected {views[name].shape}"
                )
            views[name][...] = array
        return net

    def arrays(self) -> dict[str, np.ndarray]:
        """Views of W1, b1, W2, b2 (writing to them writes to the network)."""
        return {name: self.views[name] for name in PARAMETER_NAMES}

    @functools.cached_property
    def views(self) -> dict[str, np.ndarray]:
        """W1, b1, W2, b2 and `layer1` = [W1 | b1], as views of `flat` (made once)."""
        return _views(self.flat, self.hidden_units, self.n_features)


def initialize(n_features: int, config: NNParams) -> Network:
    """Weights ~ Uniform[0, 1) × init_scale (the post) or Normal(0, 1) × init_scale; biases 0."""
    rng = np.random.default_rng(config.seed)
    draw = rng.random if config.init == "uniform" else rng.standard_normal
    h, dtype = config.hidden_units, np.dtype(config.dtype)
    return Network.from_arrays(
        (draw((h, n_features)) * config.init_scale).astype(dtype),
        np.zeros((h, 1), dtype),
        (draw((1, h)) * config.init_scale).astype(dtype),
        np.zeros((1, 1), dtype),
        config.activation,
    )


class Workspace:
    """Buffers for one network shape on one fixed batch, allocated once and reused every epoch.

    It performs the floating-point operations of the formulas above, in the same order, so a
    plain implementation ends at the bit-identical cost (benchmarks/train_speed.py checks); the
    speed comes from how they run. Every result goes into a preallocated buffer (`out=`,
    in-place operators) instead of a new array. b1 is added inside the first matrix product
    ([W1 | b1] against X with a row of ones: the same sum, one pass fewer), the outer product
    W2ᵀ dZ2 is formed by `np.dot` (2× faster here than a broadcast multiply, same products),
    and all gradients share one vector so scaling and the update are one call each.
    Features × samples keeps the h × m passes on contiguous rows (samples × features pays a
    strided broadcast on every one of them). Holds three h × m arrays (A1, g', dZ1); without
    labels, only A1.

    Measured choices (benchmarks/train_speed.py, 2 cores): samples × features was slower on
    every large pass (outer product 9.8 vs 8.8 µs, bias column sum 8.7 vs 4.7 µs at 40 × 320).
    BLAS threads are left at OpenBLAS's default: one or two threads make no difference at the
    defaults (73.5 vs 75.2 µs per epoch; the products are too small to split) and two are 20 %
    faster at 320,000 samples (120 vs 150 ms per epoch).
    """

    def __init__(self, network: Network, x: np.ndarray, y: np.ndarray | None = None) -> None:
        dtype = network.flat.dtype
        self.m = m = x.shape[0]
        h, d = network.hidden_units, network.n_features
        self.activation = ACTIVATIONS[network.activation]
        self.x1 = np.ones((d + 1, m), dtype)
        self.x1[:d] = x.T
        self.x = self.x1[:d]
        self.a1 = np.empty((h, m), dtype)
        self.z2 = np.empty((1, m), dtype)
        if y is None:
            return
        self.y = y.astype(dtype).reshape(1, m)
        self.y_sign = 1 - 2 * self.y
        self.loss = np.empty((1, m), dtype)
        self.dz2 = np.empty((1, m), dtype)
        self.g1 = np.empty((h, m), dtype)
        self.dz1 = np.empty((h, m), dtype)
        self.grad = np.empty_like(network.flat)
        self.grads = _views(self.grad, h, d)

    def forward(self, net: Network) -> np.ndarray:
        """Fill A1 and return the output logits Z2 (1 × m)."""
        p = net.views
        np.matmul(p["layer1"], self.x1, out=self.a1)
        self.activation.forward(self.a1, self.a1)
        np.dot(p["w2"], self.a1, out=self.z2)
        self.z2 += p["b2"]
        return self.z2

    def cost_and_gradients(self, net: Network) -> float:
        """Mean cross-entropy at `net`; the gradients land in `grads` (views of `grad`)."""
        z2 = self.forward(net)
        cost = binary_cross_entropy_from_logits(z2, self.y_sign, out=self.loss)
        g = self.grads
        dz2 = sigmoid(z2, out=self.dz2)
        dz2 -= self.y
        np.dot(dz2, self.a1.T, out=g["w2"])
        np.add.reduce(dz2, axis=1, keepdims=True, out=g["b2"])
        np.dot(net.views["w2"].T, dz2, out=self.dz1)
        self.activation.derivative(self.a1, self.g1)
        self.dz1 *= self.g1
        np.matmul(self.dz1, self.x.T, out=g["w1"])
        np.add.reduce(self.dz1, axis=1, keepdims=True, out=g["b1"])
        self.grad *= 1 / self.m
        return cost


def cost_and_gradients(net: Network, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """One-off cost and gradients (copies), for checks and callers outside the training loop."""
    workspace = Workspace(net, x, y)
    cost = workspace.cost_and_gradients(net)
    return cost, {name: workspace.grads[name].copy() for name in PARAMETER_NAMES}


def predict_logit(net: Network, x: np.ndarray) -> np.ndarray:
    """Output logit Z2 for each row of `x` (samples × features), as float64."""
    return Workspace(net, x).forward(net)[0].astype(np.float64)


def predict_proba(net: Network, x: np.ndarray) -> np.ndarray:
    """P(y = 1) for each row of `x` (samples × features), as float64."""
    return sigmoid(predict_logit(net, x))


@dataclasses.dataclass(frozen=True, eq=False)
class FitResult:
    network: Network
    cost_history: np.ndarray
    """Cost of every epoch, measured before that epoch's update (as the post prints it)."""
    config: NNParams
    """The params the network was trained with."""


ProgressCallback = Callable[[int, float, float], None]
"""Called as `progress(epoch, cost, elapsed_seconds)`."""


MAX_TRAINING_CELLS = 1 << 27
"""Training holds about 3.5 arrays of rows × hidden units: this bound keeps that under 4 GiB."""

BLOWUP = 100.0
"""A cost above BLOWUP × max(first epoch's cost, log 2) means divergence. log 2 is the cost of
always answering 0.5; a converging run never comes near this, while a diverging one with tanh
units explodes far past it without ever becoming infinite (the cost is computed stably)."""


def fit(
    x: np.ndarray,
    y: np.ndarray,
    config: NNParams,
    progress: ProgressCallback | None = None,
    progress_every: int | None = None,
) -> FitResult:
    """Full-batch gradient descent for `config.epochs` epochs from `initialize(...)`.

    Raises TrainingDivergedError at the first epoch whose cost is NaN, infinite, or above the
    BLOWUP bound.
    """
    cells = x.shape[0] * config.hidden_units
    if cells > MAX_TRAINING_CELLS:
        raise ParamsError(
            f"nn.hidden_units = {config.hidden_units} with {x.shape[0]:,} training rows needs "
            f"{cells:,} hidden activations per epoch, more than {MAX_TRAINING_CELLS:,}: lower "
            "nn.hidden_units or data.n_samples"
        )
    net = initialize(x.shape[1], config)
    workspace = Workspace(net, x, y)
    learning_rate, params, grad = config.learning_rate, net.flat, workspace.grad
    every = progress_every or config.log_every
    history = np.empty(config.epochs, dtype=np.float64)
    limit = sys.float_info.max
    start = time.perf_counter()
    # Overflow on the way to divergence is expected and caught by the cost check below.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(config.epochs):
            cost = workspace.cost_and_gradients(net)
            if not cost <= limit:  # also true for NaN
                raise TrainingDivergedError(
                    f"training diverged at epoch {epoch + 1}: cost {cost:.4g} "
                    f"(first epoch {history[0] if epoch else cost:.4g}) with "
                    f"nn.learning_rate = {learning_rate}; lower the learning rate"
                )
            if epoch == 0:
                limit = BLOWUP * max(cost, math.log(2))
            history[epoch] = cost
            grad *= learning_rate
            params -= grad
            if progress is not None and ((epoch + 1) % every == 0 or epoch + 1 == config.epochs):
                progress(epoch + 1, cost, time.perf_counter() - start)
    return FitResult(net, history, config)
