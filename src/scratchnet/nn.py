"""A one-hidden-layer network written from scratch: init, forward, cost, backprop, update, fit.

Layout: features × samples, as in the seed post (X is d × m, activations are h × m). With the
per-unit bias as an (h, 1) column the bias adds and the `dZ1 @ X.T` product run along contiguous
rows. Gradients (derived in the README, checked against finite differences in the tests):

    dZ2 = A2 - Y                      dW2 = dZ2 A1ᵀ / m      db2 = Σ_samples dZ2 / m
    dZ1 = (W2ᵀ dZ2) ∘ g'(Z1)          dW1 = dZ1 Xᵀ / m       db1 = Σ_samples dZ1 / m  (one per unit)

g' is written in terms of the activation's output A1 (tanh: 1 - A1², sigmoid: A1(1 - A1),
relu: [A1 > 0]), so Z1 never needs its own buffer.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np

from scratchnet.errors import TrainingDivergedError
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


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """Weights packed per layer as `[W1 | b1]` (h × (d+1)) and `[W2 | b2]` (1 × (h+1)).

    Each bias rides in its layer's matrix product against a constant row of ones appended to
    that layer's input, so no broadcast add is needed in the forward pass and each layer's
    bias gradient falls out of the same product as its weight gradient.
    """

    layer1: np.ndarray
    layer2: np.ndarray
    activation: str

    @classmethod
    def from_arrays(
        cls, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, activation: str
    ) -> Network:
        """Pack separate W1 (h × d), b1 (h × 1), W2 (1 × h), b2 (1 × 1) arrays."""
        return cls(np.hstack([w1, b1]), np.hstack([w2, b2]), activation)

    @property
    def hidden_units(self) -> int:
        return self.layer1.shape[0]

    @property
    def n_features(self) -> int:
        return self.layer1.shape[1] - 1

    def arrays(self) -> dict[str, np.ndarray]:
        """Views of W1, b1, W2, b2 (writing to them writes to the network)."""
        return {
            "w1": self.layer1[:, :-1],
            "b1": self.layer1[:, -1:],
            "w2": self.layer2[:, :-1],
            "b2": self.layer2[:, -1:],
        }


def initialize(n_features: int, config: NNParams) -> Network:
    """Weights ~ Uniform[0, 1) × init_scale (the post) or Normal(0, 1) × init_scale; biases 0."""
    rng = np.random.default_rng(config.seed)
    draw = rng.random if config.init == "uniform" else rng.standard_normal
    h, dtype = config.hidden_units, np.dtype(config.dtype)
    w1 = draw((h, n_features)) * config.init_scale
    w2 = draw((1, h)) * config.init_scale
    return Network.from_arrays(
        w1.astype(dtype),
        np.zeros((h, 1), dtype),
        w2.astype(dtype),
        np.zeros((1, 1), dtype),
        config.activation,
    )


def _with_ones_row(rows: int, m: int, dtype: np.dtype) -> np.ndarray:
    buffer = np.empty((rows + 1, m), dtype)
    buffer[-1] = 1
    return buffer


class Workspace:
    """Buffers for one network shape on one fixed batch, allocated once and reused every epoch.

    Layout, chosen by measurement (benchmarks/train_speed.py, 40 units × 320 samples): features ×
    samples, so every elementwise pass runs over contiguous rows without broadcasting, which
    costs 2-3× a contiguous pass in NumPy. dZ1 is never formed: since
    dZ1[i, j] = W2[i] g'[i, j] dZ2[j],  dW1aug = W2ᵀ ∘ (g' (Xaug ∘ dZ2)ᵀ) / m,
    so the backward pass touches h × m data only to form g' and in one matrix product.
    The workspace holds two h × m arrays (A1 and g'); without labels, only A1.
    """

    def __init__(self, network: Network, x: np.ndarray, y: np.ndarray | None = None) -> None:
        dtype = network.layer1.dtype
        self.m = m = x.shape[0]
        h, d = network.hidden_units, network.n_features
        self.activation = ACTIVATIONS[network.activation]
        self.x1 = _with_ones_row(d, m, dtype)
        self.x1[:-1] = x.T
        self.a1_ones = _with_ones_row(h, m, dtype)
        self.a1 = self.a1_ones[:-1]
        self.z2 = np.empty((1, m), dtype)
        if y is None:
            return
        self.y = y.astype(dtype).reshape(1, m)
        self.y_sign = 1 - 2 * self.y
        self.loss = np.empty((1, m), dtype)
        self.dz2 = np.empty((1, m), dtype)
        self.x1_dz2 = np.empty((d + 1, m), dtype)
        self.g1 = np.empty((h, m), dtype)
        self.grad1 = np.empty_like(network.layer1)
        self.grad2 = np.empty_like(network.layer2)

    def forward(self, net: Network) -> np.ndarray:
        """Fill A1 and return the output logits Z2 (1 × m)."""
        np.matmul(net.layer1, self.x1, out=self.a1)
        self.activation.forward(self.a1, self.a1)
        np.matmul(net.layer2, self.a1_ones, out=self.z2)
        return self.z2

    def cost_and_gradients(self, net: Network) -> float:
        """Mean cross-entropy at `net`; the packed gradients land in `grad1` and `grad2`."""
        z2 = self.forward(net)
        cost = binary_cross_entropy_from_logits(z2, self.y_sign, out=self.loss)
        inv_m = 1.0 / self.m
        dz2 = sigmoid(z2, out=self.dz2)
        dz2 -= self.y
        np.matmul(dz2, self.a1_ones.T, out=self.grad2)
        self.grad2 *= inv_m
        self.activation.derivative(self.a1, self.g1)
        np.multiply(self.x1, dz2, out=self.x1_dz2)
        np.matmul(self.g1, self.x1_dz2.T, out=self.grad1)
        self.grad1 *= net.layer2[:, :-1].T
        self.grad1 *= inv_m
        return cost

    def gradients(self) -> dict[str, np.ndarray]:
        """Views of dW1, db1, dW2, db2 after `cost_and_gradients`."""
        return Network(self.grad1, self.grad2, "").arrays()


def cost_and_gradients(net: Network, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """One-off cost and gradients (copies), for checks and callers outside the training loop."""
    workspace = Workspace(net, x, y)
    cost = workspace.cost_and_gradients(net)
    return cost, {name: grad.copy() for name, grad in workspace.gradients().items()}


def predict_proba(net: Network, x: np.ndarray) -> np.ndarray:
    """P(y = 1) for each row of `x` (samples × features), as float64."""
    z2 = Workspace(net, x).forward(net)
    return sigmoid(z2[0].astype(np.float64))


@dataclasses.dataclass(frozen=True, eq=False)
class FitResult:
    network: Network
    cost_history: np.ndarray
    """Cost of every epoch, measured before that epoch's update (as the post prints it)."""


ProgressCallback = Callable[[int, float, float], None]
"""Called as `progress(epoch, cost, elapsed_seconds)`."""


def fit(
    x: np.ndarray,
    y: np.ndarray,
    config: NNParams,
    progress: ProgressCallback | None = None,
    progress_every: int | None = None,
) -> FitResult:
    """Full-batch gradient descent for `config.epochs` epochs from `initialize(...)`.

    Raises TrainingDivergedError at the first epoch whose cost is NaN or infinite.
    """
    net = initialize(x.shape[1], config)
    workspace = Workspace(net, x, y)
    pairs = [(net.layer1, workspace.grad1), (net.layer2, workspace.grad2)]
    learning_rate = config.learning_rate
    every = progress_every or config.log_every
    history = np.empty(config.epochs, dtype=np.float64)
    start = time.perf_counter()
    for epoch in range(config.epochs):
        cost = workspace.cost_and_gradients(net)
        if not math.isfinite(cost):
            raise TrainingDivergedError(
                f"training diverged at epoch {epoch + 1}: cost is {cost} with "
                f"nn.learning_rate = {learning_rate}; lower the learning rate"
            )
        history[epoch] = cost
        for param, grad in pairs:
            grad *= learning_rate
            param -= grad
        if progress is not None and ((epoch + 1) % every == 0 or epoch + 1 == config.epochs):
            progress(epoch + 1, cost, time.perf_counter() - start)
    return FitResult(net, history)
