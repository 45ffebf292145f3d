"""Both trained models behind one interface: logits and P(y = 1) for raw (unscaled) features."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from scratchnet import nn
from scratchnet.logreg import LogisticModel
from scratchnet.numerics import sigmoid
from scratchnet.split import Standardizer


@dataclasses.dataclass(frozen=True)
class Classifier:
    """A fitted model with the scaling of its training data folded in."""

    name: str
    """Stable key used in file names: `nn` or `logreg`."""
    title: str
    logit: Callable[[np.ndarray], np.ndarray]
    """log-odds of class 1 for each row of raw features."""

    def probability(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.logit(x))


def neural_network(net: nn.Network, scaler: Standardizer) -> Classifier:
    return Classifier(
        "nn",
        f"Neural network ({net.hidden_units} {net.activation} units)",
        lambda x: nn.predict_logit(net, scaler.transform(x)),
    )


def logistic_regression(model: LogisticModel, scaler: Standardizer) -> Classifier:
    return Classifier(
        "logreg",
        "Logistic regression",
        lambda x: model.decision_function(scaler.transform(x)),
    )
