"""Tests of scratchnet.models: the classifiers' titles name how the network was trained."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scratchnet import models, nn, params, training
from scratchnet.split import Standardizer

DEFAULTS = params.NNParams(40, "tanh", 10, 0.9, "uniform", 0.01, 69, 10, "float64")


@pytest.mark.parametrize(
    ("changes", "title"),
    [
        ({}, "Neural network (40 tanh units, learning rate 0.9)"),
        (
            {"optimizer": "adam", "batch_size": 64, "learning_rate": 0.01},
            "Neural network (40 tanh units, learning rate 0.01, adam, batches of 64)",
        ),
        ({"optimizer": "momentum"}, "Neural network (40 tanh units, learning rate 0.9, "
         "momentum, full batch)"),
        ({"batch_size": 256}, "Neural network (40 tanh units, learning rate 0.9, gd, "
         "batches of 256)"),
    ],
)  # fmt: skip
def test_network_title_names_optimiser_and_batches_unless_the_posts(changes, title):
    """The post's full-batch gd keeps its title (and the defaults' figures their bytes); any
    other trainer is named with its optimiser and batch size."""
    config = dataclasses.replace(DEFAULTS, **changes)
    trained = training.FitResult(nn.initialize(2, config), np.zeros(10), config)
    classifier = models.neural_network(trained, Standardizer.identity(2))
    assert classifier.title == title
