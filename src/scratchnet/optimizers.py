"""Update rules: a state and a step that turns a gradient into a change of the weights.

As scikit-learn's `_stochastic_optimizers.py`: each optimiser keeps its own state (velocity,
moment estimates) for one flat parameter vector and updates it in place, with preallocated
buffers, so a step allocates nothing. A new rule (a schedule, Nesterov) is a class here.

`gradient_scale` is what the backward pass multiplies the gradient by before `step` sees it:
plain and momentum descent take the learning rate there (folded into the backward pass, one
pass over the weights fewer per step, and the post's arithmetic bit for bit), Adam takes the
raw gradient.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from scratchnet.params import NNParams


class Optimizer(Protocol):
    gradient_scale: float

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        """Update `params` in place from `grad` (the gradient times `gradient_scale`)."""


class GradientDescent:
    """w ← w − η g."""

    def __init__(self, learning_rate: float) -> None:
        self.gradient_scale = learning_rate

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        params -= grad


class Momentum:
    """v ← μ v − η g;  w ← w + v (heavy-ball momentum, as scikit-learn's `momentum`)."""

    def __init__(self, size: int, dtype: np.dtype, learning_rate: float, momentum: float) -> None:
        self.gradient_scale = learning_rate
        self.momentum = momentum
        self.velocity = np.zeros(size, dtype)

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        self.velocity *= self.momentum
        self.velocity -= grad
        params += self.velocity


class Adam:
    """Adam (Kingma & Ba 2015), bias correction folded into the step size as scikit-learn does:
    m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;
    w ← w − η √(1 − β2ᵗ) / (1 − β1ᵗ) · m / (√v + ε)."""

    def __init__(
        self,
        size: int,
        dtype: np.dtype,
        learning_rate: float,
        beta1: float,
        beta2: float,
        epsilon: float,
    ) -> None:
        self.gradient_scale = 1.0
        self.learning_rate, self.beta1, self.beta2, self.epsilon = (
            learning_rate,
            beta1,
            beta2,
            epsilon,
        )
        self.first = np.zeros(size, dtype)
        self.second = np.zeros(size, dtype)
        self.scratch = np.empty(size, dtype)
        self.steps = 0

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        self.steps += 1
        scratch = self.scratch
        self.first *= self.beta1
        np.multiply(grad, 1 - self.beta1, out=scratch)
        self.first += scratch
        self.second *= self.beta2
        np.square(grad, out=scratch)
        scratch *= 1 - self.beta2
        self.second += scratch
        size = (
            self.learning_rate
            * math.sqrt(1 - self.beta2**self.steps)
            / (1 - self.beta1**self.steps)
        )
        np.sqrt(self.second, out=scratch)
        scratch += self.epsilon
        np.divide(self.first, scratch, out=scratch)
        scratch *= size
        params -= scratch


def make(config: NNParams, size: int, dtype: np.dtype) -> Optimizer:
    """The optimiser `config.optimizer` names, for a parameter vector of `size` floats."""
    if config.optimizer == "momentum":
        return Momentum(size, dtype, config.learning_rate, config.momentum)
    if config.optimizer == "adam":
        return Adam(size, dtype, config.learning_rate, config.beta1, config.beta2, config.epsilon)
    return GradientDescent(config.learning_rate)
