"""Both trained models behind one interface: P(y = 1) for rows of raw (unscaled) features."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from scratchnet import nn
from scratchnet.logreg import LogisticModel
from scratchnet.split import Standardizer


@dataclasses.dataclass(frozen=True)
class Classifier:
    """A fitted model with the scaling of its training data folded in."""

    name: str
    """Stable key used in file names: `nn` or `logreg`."""
    title: str
    probability: Callable[[np.ndarray], np.ndarray]


def neural_network(net: nn.Network, scaler: Standardizer) -> Classifier:
    return Classifier(
        "nn",
        f"Neural network ({net.hidden_units} {net.activation} units)",
        lambda x: nn.predict_proba(net, scaler.transform(x)),
    )


def logistic_regression(model: LogisticModel, scaler: Standardizer) -> Classifier:
    return Classifier(
        "logreg",
        "Logistic regression",
        lambda x: model.predict_proba(scaler.transform(x)),
    )
