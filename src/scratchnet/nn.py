"""A one-hidden-layer network written from scratch: init, forward, cost, backprop (the
training loop that updates it: `scratchnet.training`).

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
from collections.abc import Callable

import numpy as np

from scratchnet.numerics import sigmoid, softplus_row_means
from scratchnet.params import NNParams


@dataclasses.dataclass(frozen=True)
class Activation:
    """A hidden-layer activation g: `forward(z, out)`, and g' written from the output a = g(z)
    as `constant - remainder(a)`.

    That split lets the backward pass fold the constant into a matrix product (a row of
    constants under the remainders; see Workspace), so g' costs one pass over the h × m
    activations instead of two.
    """

    forward: Callable[[np.ndarray, np.ndarray], object]
    constant: float
    remainder: Callable[[np.ndarray, np.ndarray], object]


def _tanh(z: np.ndarray, out: np.ndarray) -> None:
    np.tanh(z, out=out)


def _sigmoid_remainder(a: np.ndarray, out: np.ndarray) -> None:
    """a (a - 1), so that g' = 0 - a (a - 1) = a (1 - a)."""
    np.subtract(a, 1, out=out)
    out *= a


def _relu(z: np.ndarray, out: np.ndarray) -> None:
    np.maximum(z, 0, out=out)


def _relu_remainder(a: np.ndarray, out: np.ndarray) -> None:
    """[a <= 0], so that g' = 1 - [a <= 0] = [a > 0]."""
    np.less_equal(a, 0, out=out)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation(_tanh, 1.0, lambda a, out: np.square(a, out=out)),  # g' = 1 - a²
    "sigmoid": Activation(sigmoid, 0.0, _sigmoid_remainder),
    "relu": Activation(_relu, 1.0, _relu_remainder),
}


PARAMETER_NAMES = ("w1", "b1", "w2", "b2")


def _views(flat: np.ndarray, hidden_units: int, n_features: int) -> dict[str, np.ndarray]:
    """W1, b1, W2, b2 as views of a flat vector laid out as [W1 | b1] (row-major), W2, b2.

    `layer1` = [W1 | b1] and `layer2` = [W2 | b2] are views too: each layer's bias rides in its
    matrix product against a row of ones instead of a broadcast pass over h × m.
    """
    h, d = hidden_units, n_features
    layer1 = flat[: h * (d + 1)].reshape(h, d + 1)
    layer2 = flat[h * (d + 1) :].reshape(1, h + 1)
    return {
        "w1": layer1[:, :d],
        "b1": layer1[:, d:],
        "w2": layer2[:, :h],
        "b2": layer2[:, h:],
        "layer1": layer1,
        "layer2": layer2,
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
        """W1, b1, W2, b2, `layer1` = [W1 | b1] and `layer2` = [W2 | b2]: views of `flat`."""
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

    The arithmetic is the formulas above, regrouped so that each epoch makes few passes over
    the h × m arrays (at this size the passes and NumPy's per-call overhead are the cost):

    - b1 and b2 are added inside the matrix products: [W1 | b1] against X with a row of ones,
      [W2 | b2] against A1 with a row of ones (which also yields db2 beside dW2);
    - dZ1 is never formed: column k of [dW1 | db1] is Σ_i W2ᵀ dZ2_i g'_i x_ki, so it is
      (g'(A1) Vᵀ) scaled row-wise by W2ᵀ, where V = X ∘ dZ2 has only d + 1 rows; and with
      g' = c - r(A1) (see Activation), g'(A1) Vᵀ = c Σ_i V - r(A1) Vᵀ, where the product of
      [r(A1); c] (a row of c under the remainders) with Vᵀ yields both terms;
    - `scale`/m (the optimiser's `gradient_scale` over m: plain descent's learning rate) is
      folded into dZ2, so plain descent's update is a single subtraction on the flat vector;
    - weight decay adds `scale` × l2 × W to the weights' gradient, one pass over the flat
      vector against a mask that is 0 at the biases;
    - the cost is not computed here: `descent_step` writes Z2 where the caller asks, and the
      caller turns many epochs' worth into costs at once (`costs_from_logits`).

    Holds two h × m arrays (A1 and r(A1), each with its extra row); without labels, only A1.
    Bound to one network and one number of rows m: it reads the network's current weights at
    every step, `gather` loads other rows (a mini-batch) into the same buffers, and every view
    it needs is made once, here.
    """

    def __init__(
        self,
        network: Network,
        x: np.ndarray,
        y: np.ndarray | None = None,
        scale: float = 1.0,
        l2: float = 0.0,
    ) -> None:
        dtype = network.flat.dtype
        m = x.shape[0]
        h, d = network.hidden_units, network.n_features
        self.activation = ACTIVATIONS[network.activation]
        self.flat = network.flat
        self.layer1, self.layer2 = network.views["layer1"], network.views["layer2"]
        self.x1 = np.ones((d + 1, m), dtype)
        self.x1[:d] = x.T
        self.a1_ones = np.ones((h + 1, m), dtype)
        self.a1 = self.a1_ones[:h]
        if y is None:
            return
        self.labels = np.empty((1, m), dtype)
        self.y_sign = np.empty((1, m), dtype)
        self.offset = np.empty((1, m), dtype)
        self.step = scale / m
        self.half_step = dtype.type(self.step / 2)
        self._load_labels(y)
        self.l2 = l2
        self.weights = np.ones_like(network.flat)  # 0 at the biases: weight decay skips them
        for bias in ("b1", "b2"):
            _views(self.weights, h, d)[bias][...] = 0
        self.decay = self.weights * (scale * l2)
        self.decayed = np.empty_like(network.flat)
        self.rows = self.row_labels = None
        self.dz2 = np.empty((1, m), dtype)
        self.v = np.empty((d + 1, m), dtype)
        self.remainders = np.full((h + 1, m), self.activation.constant, dtype)
        self.products = np.empty((h + 1, d + 1), dtype)
        self.grad = np.empty_like(network.flat)
        self.grads = _views(self.grad, h, d)
        self._w2_column = network.views["w2"].T
        self._a1_ones_t, self._v_t = self.a1_ones.T, self.v.T
        self._remainder_rows, self._constant_products = self.remainders[:h], self.products[h]
        self._remainder_products = self.products[:h]

    def _load_labels(self, y: np.ndarray) -> None:
        """y_sign = 1 - 2y and the offset step × (0.5 - y) of dZ2, for these rows' labels."""
        labels = self.labels
        labels[0] = y
        np.multiply(labels, -2, out=self.y_sign)
        self.y_sign += 1
        np.subtract(0.5, labels, out=self.offset)
        self.offset *= self.step

    def gather(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> None:
        """Load rows `rows` (as many as this workspace holds) of `x` and `y` in its buffers."""
        if self.rows is None:
            self.rows = np.empty((rows.size, x.shape[1]), x.dtype)
            self.row_labels = np.empty(rows.size, y.dtype)
        np.take(x, rows, axis=0, out=self.rows)
        np.take(y, rows, out=self.row_labels)
        self.x1[:-1] = self.rows.T
        self._load_labels(self.row_labels)

    def penalty(self) -> float:
        """l2 / 2 × Σ weights² at the network's current weights (biases excluded)."""
        np.square(self.flat, out=self.decayed)
        return self.l2 / 2 * float(np.dot(self.decayed, self.weights))

    def forward(self, z2: np.ndarray | None = None) -> np.ndarray:
        """Fill A1 and return the output logits Z2 (1 × m), in `z2` if given."""
        np.matmul(self.layer1, self.x1, out=self.a1)
        self.activation.forward(self.a1, self.a1)
        if z2 is None:
            z2 = np.empty((1, self.a1_ones.shape[1]), self.a1_ones.dtype)
        return np.dot(self.layer2, self.a1_ones, out=z2)

    def costs_from_logits(
        self, logits: np.ndarray, scratch: np.ndarray | None = None
    ) -> np.ndarray:
        """The cost of each row of `logits` (epochs × m; it and `scratch`, a buffer of its
        shape, are overwritten): the mean of softplus(y_sign Z2)."""
        logits *= self.y_sign
        return softplus_row_means(logits, scratch)

    def descent_step(self, z2: np.ndarray) -> None:
        """`grad` := scale × the cost's gradient at the weights; `z2` (1 × m) := the logits."""
        self.forward(z2)
        dz2 = self.dz2  # scale/m × (sigmoid(Z2) - Y), sigmoid as in numerics.sigmoid
        np.multiply(z2, 0.5, out=dz2)
        np.tanh(dz2, out=dz2)
        dz2 *= self.half_step
        dz2 += self.offset
        np.dot(dz2, self._a1_ones_t, out=self.grads["layer2"])
        np.multiply(self.x1, dz2, out=self.v)
        self.activation.remainder(self.a1, self._remainder_rows)
        np.matmul(self.remainders, self._v_t, out=self.products)
        layer1 = self.grads["layer1"]
        np.subtract(self._constant_products, self._remainder_products, out=layer1)
        layer1 *= self._w2_column
        if self.l2:
            np.multiply(self.flat, self.decay, out=self.decayed)
            self.grad += self.decayed


def cost_and_gradients(
    net: Network, x: np.ndarray, y: np.ndarray, l2: float = 0.0
) -> tuple[float, dict]:
    """One-off cost (with weight decay `l2`) and gradients (copies), for checks and callers
    outside the training loop."""
    workspace = Workspace(net, x, y, l2=l2)
    penalty = workspace.penalty() if l2 else 0.0
    logits = np.empty((1, x.shape[0]), net.flat.dtype)
    workspace.descent_step(logits)
    cost = float(workspace.costs_from_logits(logits)[0]) + penalty
    return cost, {name: workspace.grads[name].copy() for name in PARAMETER_NAMES}


def predict_logit(net: Network, x: np.ndarray) -> np.ndarray:
    """Output logit Z2 for each row of `x` (samples × features), as float64."""
    return Workspace(net, x).forward()[0].astype(np.float64)


def predict_proba(net: Network, x: np.ndarray) -> np.ndarray:
    """P(y = 1) for each row of `x` (samples × features), as float64."""
    return sigmoid(predict_logit(net, x))
