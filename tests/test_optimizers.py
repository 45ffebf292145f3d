"""Tests of scratchnet.optimizers: each rule against a plain textbook version written here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scratchnet import nn, optimizers, params, training
from tests.test_nn import nn_config

STEPS = 300


def gradients(size: int, seed: int = 0) -> list[np.ndarray]:
    """A fixed sequence of gradients (what the optimiser sees does not depend on how made)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) * rng.uniform(0.1, 3) for _ in range(STEPS)]


def textbook_momentum(w, grads, lr, mu):
    v = np.zeros_like(w)
    for g in grads:
        v = mu * v - lr * g
        w = w + v
    return w


def textbook_adam(w, grads, lr, beta1, beta2, eps):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        # Algorithm 1 with its epsilon as the paper's section 2 ends: ε / √(1 − β2ᵗ) here is ε
        # added to √v before the bias correction, as the efficient form (and sklearn) adds it.
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps / math.sqrt(1 - beta2**t))
    return w


def run(optimizer: optimizers.Optimizer, w: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    """The optimiser's steps on a copy of `w`, fed each gradient times its gradient_scale."""
    w = w.copy()
    for g in grads:
        optimizer.step(w, g * optimizer.gradient_scale)
    return w


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_gradient_descent_is_w_minus_lr_g():
    """Plain descent: w - η Σ g over the steps."""
    w, grads = np.ones(7), gradients(7)
    expected = w - 0.3 * np.sum(grads, axis=0)
    assert relative(run(optimizers.GradientDescent(0.3), w, grads), expected) < 1e-12


@pytest.mark.parametrize("mu", [0.0, 0.5, 0.9, 0.99])
def test_momentum_matches_the_textbook_rule(mu):
    """Momentum: v ← μ v − η g, w ← w + v, for 300 steps (relative 1e-12)."""
    w, grads = np.linspace(-1, 1, 9), gradients(9, seed=1)
    ours = run(optimizers.Momentum(9, np.dtype(np.float64), 0.05, mu), w, grads)
    assert relative(ours, textbook_momentum(w, grads, 0.05, mu)) < 1e-12


@pytest.mark.parametrize(("beta1", "beta2", "eps"), [(0.9, 0.999, 1e-8), (0.5, 0.9, 1e-3)])
def test_adam_matches_the_textbook_rule(beta1, beta2, eps):
    """Adam with bias-corrected moments (Kingma & Ba, algorithm 1 with the step size of section
    2's last paragraph, as scikit-learn), for 300 steps (relative 1e-12)."""
    w, grads = np.linspace(-1, 1, 9), gradients(9, seed=2)
    ours = run(optimizers.Adam(9, np.dtype(np.float64), 0.01, beta1, beta2, eps), w, grads)
    assert relative(ours, textbook_adam(w, grads, 0.01, beta1, beta2, eps)) < 1e-12


def config(**overrides: object) -> params.NNParams:
    """A small network that moves visibly in four epochs."""
    values = {"hidden_units": 5, "epochs": 4, "learning_rate": 0.05, "init": "normal"}
    return nn_config(**{**values, "init_scale": 0.5, "seed": 3, **overrides})


def problem(m: int = 50, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(m, d))
    return x, (x[:, 0] * x[:, 1] + 0.3 * rng.normal(size=m) > 0).astype(np.int64)


def textbook_training(x, y, cfg: params.NNParams) -> np.ndarray:
    """The trainer written plainly: the same initial weights and the same batches (a fresh
    permutation per epoch from the seed's second stream), gradients from `cost_and_gradients`
    (checked against finite differences in test_nn), the textbook update rules above."""
    net = nn.initialize(x.shape[1], cfg)
    w = net.flat.copy()
    rng = np.random.default_rng([cfg.seed, 1])
    m, size = len(y), cfg.batch_size or len(y)
    v, first, second, t = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w), 0
    for _ in range(cfg.epochs):
        order = rng.permutation(m) if cfg.batch_size else np.arange(m)
        for start in range(0, m, size):
            rows = order[start : start + size]
            probe = nn.Network(w.copy(), net.hidden_units, net.n_features, net.activation)
            _, grads = nn.cost_and_gradients(probe, x[rows], y[rows], l2=cfg.l2)
            flat = np.empty_like(w)
            views = nn.Network(flat, net.hidden_units, net.n_features, net.activation).arrays()
            for name, grad in grads.items():
                views[name][...] = grad
            if cfg.optimizer == "gd":
                w = w - cfg.learning_rate * flat
            elif cfg.optimizer == "momentum":
                v = cfg.momentum * v - cfg.learning_rate * flat
                w = w + v
            else:
                t += 1
                first = cfg.beta1 * first + (1 - cfg.beta1) * flat
                second = cfg.beta2 * second + (1 - cfg.beta2) * flat**2
                step = cfg.learning_rate * math.sqrt(1 - cfg.beta2**t) / (1 - cfg.beta1**t)
                w = w - step * first / (np.sqrt(second) + cfg.epsilon)
    return w


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [None, 8, 50, 64])
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_fit_matches_the_textbook_trainer(optimizer, batch_size, l2):
    """training.fit's weights after 4 epochs equal the plain trainer's (relative 1e-12), for every
    optimiser, full batch and mini-batches (a last batch smaller: 50 rows in 8s), with and
    without weight decay."""
    x, y = problem()
    cfg = config(optimizer=optimizer, batch_size=batch_size, l2=l2)
    ours = training.fit(x, y, cfg).network.flat
    assert relative(ours, textbook_training(x, y, cfg)) < 1e-12
