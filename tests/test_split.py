"""Tests of scratchnet.split: the index partition, stratification and train-only scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scratchnet import datasets, split
from scratchnet.datasets import Dataset
from scratchnet.errors import DataError
from scratchnet.params import DataParams, SplitParams
from scratchnet.split import Standardizer


def indices(y, test_size=0.2, seed=0, stratify=False):
    """split_indices with a fresh generator seeded with `seed`."""
    return split.split_indices(
        np.asarray(y), test_size, np.random.default_rng(seed), stratify=stratify
    )


def config(test_size=0.2, seed=69, stratify=False, standardize=True) -> SplitParams:
    """A SplitParams with the project defaults unless overridden."""
    return SplitParams(test_size=test_size, seed=seed, stratify=stratify, standardize=standardize)


def assert_partition(train: np.ndarray, test: np.ndarray, n: int) -> None:
    """train and test are disjoint integer index sets whose union is range(n)."""
    assert train.dtype.kind == test.dtype.kind == "i"
    combined = np.concatenate([train, test])
    assert combined.size == n
    assert np.array_equal(np.sort(combined), np.arange(n))


def flower() -> Dataset:
    """The project's default 400-row flower data set."""
    return datasets.generate(DataParams("flower", 400, 0.2, 69))


# --- split_indices ------------------------------------------------------------------------------


@pytest.mark.parametrize("stratify", [False, True])
def test_default_split_is_a_partition_with_80_test_rows(stratify):
    """400 rows at test_size 0.2 give 320 train and 80 test rows covering each row once."""
    y = flower().y
    train, test = indices(y, 0.2, seed=69, stratify=stratify)
    assert_partition(train, test, 400)
    assert (train.size, test.size) == (320, 80)


@pytest.mark.parametrize("stratify", [False, True])
def test_split_is_deterministic_per_seed(stratify):
    """One seed gives identical index arrays; another seed gives a different order."""
    y = np.repeat([0, 1], [30, 70])
    first = indices(y, 0.3, seed=5, stratify=stratify)
    second = indices(y, 0.3, seed=5, stratify=stratify)
    other = indices(y, 0.3, seed=6, stratify=stratify)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[1], other[1])


def test_split_is_shuffled():
    """The test rows are not simply the first or last rows."""
    _, test = indices(np.repeat([0, 1], 50), 0.2, seed=69)
    assert not np.array_equal(np.sort(test), np.arange(20))
    assert not np.array_equal(np.sort(test), np.arange(80, 100))


def test_stratified_split_keeps_class_shares():
    """Stratified, 30 % class 0 in the data gives 30 % class 0 in both parts."""
    y = np.repeat([0, 1], [30, 70])
    train, test = indices(y, 0.2, seed=1, stratify=True)
    assert int(np.sum(y[test] == 0)) == 6
    assert int(np.sum(y[train] == 0)) == 24


@pytest.mark.parametrize(("test_size", "n"), [(0.99, 10), (0.999, 50)])
def test_split_leaving_an_empty_part_raises(test_size, n):
    """A test_size that leaves no training row raises DataError naming test_size."""
    with pytest.raises(DataError, match=f"test_size {test_size} leaves no rows"):
        indices(np.repeat([0, 1], n // 2), test_size)


@settings(max_examples=150, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), min_size=2, max_size=200),
    test_size=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
    stratify=st.booleans(),
)
def test_split_indices_partition_property(y, test_size, seed, stratify):
    """Any labels, test_size and seed give a partition with ceil(test_size * n) test rows."""
    n = len(y)
    n_test = math.ceil(test_size * n)
    assume(0 < n_test < n)
    train, test = indices(y, test_size, seed=seed, stratify=stratify)
    assert_partition(train, test, n)
    assert test.size == n_test
    again = indices(y, test_size, seed=seed, stratify=stratify)
    assert np.array_equal(test, again[1])
    assert np.array_equal(train, again[0])


@settings(max_examples=150, deadline=None)
@given(
    y=st.lists(st.integers(0, 1), min_size=2, max_size=200),
    test_size=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratification_property(y, test_size, seed):
    """Stratified, each class's count in the test part is within one row of its exact share."""
    y = np.array(y)
    n = y.size
    n_test = math.ceil(test_size * n)
    assume(0 < n_test < n)
    train, test = indices(y, test_size, seed=seed, stratify=True)
    assert_partition(train, test, n)
    for label in (0, 1):
        exact = n_test * np.sum(y == label) / n
        assert abs(int(np.sum(y[test] == label)) - exact) <= 1


# --- train_test_split ---------------------------------------------------------------------------


def test_train_test_split_returns_the_indexed_rows():
    """The two parts are the data rows at split_indices' train and test positions."""
    data = flower()
    train, test = split.train_test_split(data, config())
    rows_train, rows_test = indices(data.y, 0.2, seed=69)
    np.testing.assert_array_equal(train.x, data.x[rows_train])
    np.testing.assert_array_equal(test.y, data.y[rows_test])
    assert (len(train), len(test)) == (320, 80)


@pytest.mark.parametrize(
    ("test_size", "part", "rows"),
    [(0.25, "test", 1), (0.75, "train", 1)],
)
def test_single_class_part_raises_naming_the_part(test_size, part, rows):
    """A part holding one class (one row of a 4-row set) raises DataError naming that part."""
    data = Dataset(np.arange(8, dtype=float).reshape(4, 2), np.array([0, 0, 1, 1]))
    with pytest.raises(DataError, match=f"the {part} part \\({rows} rows\\) holds only one class"):
        split.train_test_split(data, config(test_size=test_size))


# --- Standardizer -------------------------------------------------------------------------------


def test_fit_uses_sample_standard_deviation():
    """Standardizer.fit's scale is the ddof = 1 standard deviation (R's scale())."""
    x = np.random.default_rng(2).normal([3.0, -1.0], [2.0, 0.5], size=(25, 2))
    scaler = Standardizer.fit(x)
    np.testing.assert_allclose(scaler.mean, np.mean(x, axis=0), rtol=1e-14)
    np.testing.assert_allclose(scaler.scale, np.std(x, axis=0, ddof=1), rtol=1e-14)
    assert not np.allclose(scaler.scale, np.std(x, axis=0, ddof=0), rtol=1e-6)


def test_transform_of_training_rows_has_mean_zero_and_sample_std_one():
    """Scaled training features have mean 0 and ddof = 1 standard deviation 1."""
    x = np.random.default_rng(3).normal([10.0, 0.0], [5.0, 0.1], size=(40, 2))
    z = Standardizer.fit(x).transform(x)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0, ddof=1), 1.0, rtol=1e-12)


def test_constant_feature_keeps_scale_one():
    """A constant column gets scale 1 (no division by zero) and is only centred."""
    x = np.column_stack([np.full(5, 7.0), np.arange(5.0)])
    scaler = Standardizer.fit(x)
    assert scaler.scale[0] == 1.0
    np.testing.assert_array_equal(scaler.transform(x)[:, 0], 0.0)


def test_fit_scaler_without_standardize_is_identity():
    """split.standardize: false gives a scaler that returns the features unchanged."""
    train, _ = split.train_test_split(flower(), config())
    scaler = split.fit_scaler(train, config(standardize=False))
    np.testing.assert_array_equal(scaler.transform(train.x), train.x)
    np.testing.assert_array_equal(scaler.mean, np.zeros(2))
    np.testing.assert_array_equal(scaler.scale, np.ones(2))


def test_scaling_statistics_come_from_training_rows_only():
    """The test part is scaled with the training mean and sample std, not its own."""
    train, test = split.train_test_split(flower(), config())
    scaler = split.fit_scaler(train, config())
    expected = (test.x - train.x.mean(axis=0)) / train.x.std(axis=0, ddof=1)
    np.testing.assert_allclose(scaler.transform(test.x), expected, rtol=1e-12, atol=1e-15)
    own = (test.x - test.x.mean(axis=0)) / test.x.std(axis=0, ddof=1)
    assert not np.allclose(scaler.transform(test.x), own)
    everything = np.concatenate([train.x, test.x])
    assert not np.allclose(scaler.mean, everything.mean(axis=0), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("test_size", "n", "expected"), [(0.07, 100, 7), (0.14, 300, 42)])
def test_test_rows_are_not_inflated_by_float_rounding(test_size, n, expected):
    """0.07 × 100 is 7.000000000000001 in floating point; the test part still has 7 rows."""
    y = np.tile([0, 1], n // 2)
    _, test = split.split_indices(y, test_size, np.random.default_rng(0), stratify=False)
    assert test.size == expected
