"""Seeded train/test split and a standardiser fitted on the training rows only."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from scratchnet.datasets import Dataset
from scratchnet.errors import DataError
from scratchnet.params import SplitParams


def split_indices(
    y: np.ndarray, test_size: float, rng: np.random.Generator, *, stratify: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, test) row indices; together they hold every row exactly once.

    The test part has `ceil(test_size * n)` rows (80 of 400 at the defaults). Stratified, each
    class is shuffled on its own and contributes its share of the test rows, rounded so that the
    total stays exact.
    """
    n = y.size
    n_test = math.ceil(round(test_size * n, 9))  # 0.07 × 100 is 7.000000000000001: 7 rows
    if not 0 < n_test < n:
        raise DataError(f"test_size {test_size} leaves no rows in one part of {n} rows")
    if not stratify:
        order = rng.permutation(n)
        return order[n_test:], order[:n_test]
    classes = [np.flatnonzero(y == label) for label in (0, 1)]
    share0 = round(n_test * classes[0].size / n)
    shares = (share0, n_test - share0)
    test, train = [], []
    for rows, share in zip(classes, shares, strict=True):
        shuffled = rng.permutation(rows)
        test.append(shuffled[:share])
        train.append(shuffled[share:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def train_test_split(data: Dataset, config: SplitParams) -> tuple[Dataset, Dataset]:
    """Split `data`; both parts must hold both classes or the models cannot be fitted or scored."""
    rng = np.random.default_rng(config.seed)
    train_rows, test_rows = split_indices(data.y, config.test_size, rng, stratify=config.stratify)
    parts = []
    for name, rows in (("train", train_rows), ("test", test_rows)):
        if np.unique(data.y[rows]).size < 2:
            raise DataError(
                f"the {name} part ({rows.size} rows) holds only one class: use more samples "
                f"(data.n_samples), another split.test_size, or split.stratify: true"
            )
        parts.append(data.subset(rows))
    return parts[0], parts[1]


MIN_SCALE = 1e-12
"""Smallest standard deviation a feature is divided by: with features within ±1e15, scaled
values then stay below about 1e27, far from overflow in any model."""


@dataclasses.dataclass(frozen=True, eq=False)
class Standardizer:
    """Affine feature scaling `(x - mean) / scale`, as R's `scale()` (sample std, ddof = 1)."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Standardizer:
        """Statistics of the training features; a feature that is constant (a spread below
        MIN_SCALE) keeps scale 1 rather than being blown up to unit variance."""
        scale = x.std(axis=0, ddof=1)
        return cls(x.mean(axis=0), np.where(scale >= MIN_SCALE, scale, 1.0))

    @classmethod
    def identity(cls, n_features: int) -> Standardizer:
        """No scaling, for `split.standardize: false`."""
        return cls(np.zeros(n_features), np.ones(n_features))

    @property
    def n_features(self) -> int:
        return int(self.mean.size)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Scaled features; rows of another width than the scaler's are a DataError."""
        if x.shape[1] != self.n_features:
            raise DataError(
                f"the data has {x.shape[1]} features, the scaler {self.n_features}: rerun the "
                "stages that write them (dvc repro)"
            )
        return (x - self.mean) / self.scale


def fit_scaler(train: Dataset, config: SplitParams) -> Standardizer:
    """The scaler `config` asks for, fitted on the training rows only (ERRATA item 5)."""
    return (
        Standardizer.fit(train.x) if config.standardize else Standardizer.identity(train.x.shape[1])
    )
