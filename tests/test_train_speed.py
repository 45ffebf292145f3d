"""The benchmark's equivalence check tells a correct trainer from one with a wrong gradient term."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks import train_speed
from scratchnet import nn, params


@pytest.fixture(scope="module")
def workload() -> train_speed.Workload:
    """The default data and split, with fewer epochs so that the check runs in seconds (pinned
    here, not read from params.yaml, which experiments change)."""
    train, test = train_speed.standardised_split(
        params.DataParams(kind="flower", n_samples=400, noise=0.2, seed=69),
        params.SplitParams(test_size=0.2, seed=69, stratify=False, standardize=True),
    )
    config = params.NNParams(
        hidden_units=40,
        activation="tanh",
        epochs=1_200,
        learning_rate=0.9,
        init="uniform",
        init_scale=0.01,
        seed=69,
        log_every=1_200,
        dtype="float64",
    )
    return train_speed.Workload(train, test, config)


def runs(workload: train_speed.Workload) -> tuple[train_speed.Trained, train_speed.Trained]:
    train, config = workload.train, workload.config
    return (
        train_speed.scratchnet_fit(train.x, train.y, config),
        train_speed.reference_fit(train.x, train.y, config),
    )


def test_scratchnet_does_the_reference_mathematics(workload: train_speed.Workload) -> None:
    assert train_speed.equivalence(workload, *runs(workload)) == []


def test_a_wrong_gradient_term_fails_every_part_of_the_check(
    workload: train_speed.Workload, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tanh'(z) written as 1 - |A1| instead of 1 - A1²: gradients and costs disagree."""
    wrong = dataclasses.replace(nn.ACTIVATIONS["tanh"], remainder=lambda a, out: np.abs(a, out=out))
    monkeypatch.setitem(nn.ACTIVATIONS, "tanh", wrong)
    failures = train_speed.equivalence(workload, *runs(workload))
    assert any(f.startswith("gradients from the initial weights differ") for f in failures)
    halfway = f"epoch {workload.config.epochs // 2:,}"
    assert any(f.startswith(f"gradients from the {halfway} weights differ") for f in failures)
    assert any("cost differs" in f for f in failures)


def test_a_classification_difference_fails_the_check(workload: train_speed.Workload) -> None:
    """Same gradients and costs, yet one test row classified otherwise than by either of the
    reference's last two models: still a failure."""
    ours, reference = runs(workload)
    flip_first = dataclasses.replace(
        ours, classify=lambda rows: np.where(np.arange(len(rows)) == 0, 1, 0) ^ ours.classify(rows)
    )
    assert train_speed.equivalence(workload, flip_first, reference) == [
        f"1 of {len(workload.test)} test rows classified differently"
    ]


def test_either_phase_of_the_final_oscillation_counts_as_the_same(
    workload: train_speed.Workload,
) -> None:
    """Matching the reference's model one epoch before its last is a match (and only that)."""
    ours, reference = runs(workload)
    other_phase = dataclasses.replace(
        reference, classify=lambda rows: 1 - ours.classify(rows), classify_before_last=ours.classify
    )
    assert train_speed.equivalence(workload, ours, other_phase) == []
    neither = dataclasses.replace(other_phase, classify_before_last=other_phase.classify)
    assert train_speed.equivalence(workload, ours, neither) == [
        f"{len(workload.test)} of {len(workload.test)} test rows classified differently"
    ]
