"""Both trained models behind one interface: logits and P(y = 1) for raw (unscaled) features."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from scratchnet import nn, training
from scratchnet.errors import ModelFileError
from scratchnet.logreg import LogisticModel
from scratchnet.numerics import sigmoid
from scratchnet.split import Standardizer

CHUNK_FLOATS = 1 << 22
"""Rows are scored in chunks of at most this many intermediate floats (32 MiB in float64), so
scoring a large grid or test set with a wide network needs bounded memory."""


@dataclasses.dataclass(frozen=True)
class Classifier:
    """A fitted model with the scaling of its training data folded in."""

    name: str
    """Stable key used in file names: `nn` or `logreg`."""
    title: str
    score: Callable[[np.ndarray], np.ndarray]
    """log-odds of class 1 for each row of raw features, all at once."""
    floats_per_row: int
    """Intermediate floats `score` holds per row (the hidden layer's width for the network)."""

    def logit(self, x: np.ndarray) -> np.ndarray:
        """log-odds of class 1 for each row of raw features, in chunks of bounded memory.

        A model file's weights are only known to be finite; weights large enough to overflow on
        these rows are refused here, in one line, instead of warning and writing NaN metrics.
        """
        rows = max(1, CHUNK_FLOATS // self.floats_per_row)
        with np.errstate(over="ignore", invalid="ignore"):
            if len(x) <= rows:
                logits = self.score(x)
            else:
                chunks = [self.score(x[i : i + rows]) for i in range(0, len(x), rows)]
                logits = np.concatenate(chunks)
        overflowed = np.count_nonzero(~np.isfinite(logits))
        if overflowed:
            raise ModelFileError(
                f"{self.title}: its weights overflow on {overflowed:,} of {len(x):,} rows (no "
                "finite log-odds); a model must score its inputs finitely: retrain it"
            )
        return logits

    def probability(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.logit(x))


def neural_network(trained: training.FitResult, scaler: Standardizer) -> Classifier:
    """The trained network; its title names its size, activation, learning rate and, when not
    the post's full-batch gradient descent, its optimiser and batch size."""
    net, config = trained.network, trained.config
    training = ""
    if config.optimizer != "gd" or config.batch_size is not None:
        batches = f"batches of {config.batch_size}" if config.batch_size else "full batch"
        training = f", {config.optimizer}, {batches}"
    return Classifier(
        "nn",
        f"Neural network ({net.hidden_units} {net.activation} units, "
        f"learning rate {config.learning_rate:g}{training})",
        lambda x: nn.predict_logit(net, scaler.transform(x)),
        net.hidden_units,
    )


def logistic_regression(model: LogisticModel, scaler: Standardizer) -> Classifier:
    return Classifier(
        "logreg",
        "Logistic regression",
        lambda x: model.decision_function(scaler.transform(x)),
        1,
    )


def both(
    trained: training.FitResult, logistic: LogisticModel, scaler: Standardizer
) -> dict[str, Classifier]:
    """The two models the experiment compares, by their stable names."""
    return {"nn": neural_network(trained, scaler), "logreg": logistic_regression(logistic, scaler)}
