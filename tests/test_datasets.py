"""Tests of scratchnet.datasets: every generator's shape, labels and seeding; Dataset checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import datasets
from scratchnet.datasets import Dataset
from scratchnet.errors import DataError
from scratchnet.params import GENERATED_KINDS, DataParams

KINDS = sorted(datasets.GENERATORS)


def make(kind: str, n: int = 101, noise: float = 0.2, seed: int = 69) -> Dataset:
    """The data set of `kind` with the given size, noise and seed."""
    return datasets.generate(DataParams(kind, n, noise, seed))


def two_rows_each() -> tuple[np.ndarray, np.ndarray]:
    """A minimal valid feature table and label vector (2 rows of each class)."""
    x = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    return x, np.array([0, 0, 1, 1])


def test_generators_cover_every_params_kind():
    """GENERATORS offers exactly the kinds params.DataParams allows."""
    assert set(datasets.GENERATORS) == set(GENERATED_KINDS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [4, 101, 400])
def test_shape_and_label_blocks(kind, n):
    """n x 2 float64 features, finite, and labels n//2 zeros followed by n - n//2 ones."""
    data = make(kind, n=n)
    assert data.x.shape == (n, 2)
    assert data.x.dtype == np.float64
    assert np.isfinite(data.x).all()
    assert data.y.shape == (n,)
    assert data.y.dtype == np.int64
    expected = np.concatenate([np.zeros(n // 2, np.int64), np.ones(n - n // 2, np.int64)])
    np.testing.assert_array_equal(data.y, expected)
    assert len(data) == n


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_bit_identical_arrays(kind):
    """Two draws with one seed give byte-for-byte the same features and labels."""
    first, second = make(kind, seed=123), make(kind, seed=123)
    assert first.x.tobytes() == second.x.tobytes()
    assert first.y.tobytes() == second.y.tobytes()


@pytest.mark.parametrize("kind", KINDS)
def test_different_seeds_give_different_features(kind):
    """With noise > 0, another seed gives another sample."""
    assert not np.array_equal(make(kind, seed=1).x, make(kind, seed=2).x)


def test_generation_does_not_use_global_random_state():
    """Reseeding or drawing from NumPy's global generator does not change a seeded data set."""
    np.random.seed(0)  # noqa: NPY002
    first = make("blobs")
    np.random.seed(1)  # noqa: NPY002
    np.random.random(10)  # noqa: NPY002
    second = make("blobs")
    assert first.x.tobytes() == second.x.tobytes()


def test_noise_free_flower_lies_on_rose_curve():
    """At noise 0 each flower point has radius |4 sin(4t)| for its polar angle t, at most 4."""
    data = make("flower", n=400, noise=0.0)
    # Points are (r sin t, r cos t); a negative r flips t by pi, which leaves |sin 4t| unchanged.
    radius = np.hypot(data.x[:, 0], data.x[:, 1])
    angle = np.arctan2(data.x[:, 0], data.x[:, 1])
    rose = np.abs(datasets.FLOWER_RADIUS * np.sin(4 * angle))
    np.testing.assert_allclose(radius, rose, atol=1e-9)
    assert radius.max() <= datasets.FLOWER_RADIUS + 1e-12
    assert radius.max() > 0.99 * datasets.FLOWER_RADIUS


def test_subset_takes_rows_in_order():
    """Dataset.subset returns exactly the requested rows, in the requested order."""
    data = make("moons", n=20)
    rows = np.array([15, 2, 9, 11])
    part = data.subset(rows)
    np.testing.assert_array_equal(part.x, data.x[rows])
    np.testing.assert_array_equal(part.y, data.y[rows])


# --- Dataset validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.zeros((4, 3)), r"n x 2.*\(4, 3\)"),
        (np.zeros(4), r"n x 2.*\(4,\)"),
        (np.zeros((4, 2, 1)), r"n x 2"),
    ],
    ids=["three-columns", "one-dimensional", "three-dimensional"],
)
def test_wrong_feature_shape_is_rejected(x, match):
    """Features that are not an n x 2 table raise DataError quoting the shape."""
    with pytest.raises(DataError, match=match):
        Dataset(x, np.array([0, 0, 1, 1]))


def test_label_count_mismatch_is_rejected():
    """A label vector of another length raises DataError with both counts."""
    x, _ = two_rows_each()
    with pytest.raises(DataError, match="3 labels for 4 rows"):
        Dataset(x, np.array([0, 1, 1]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e16])
def test_non_finite_feature_is_rejected(bad):
    """A NaN or infinite feature raises DataError naming the offending row."""
    x, y = two_rows_each()
    x[2, 1] = bad
    with pytest.raises(DataError, match=r"row 2 has a feature outside ±1e\+15 or not a number"):
        Dataset(x, y)


@pytest.mark.parametrize("bad", [2, -1, 0.5])
def test_label_outside_zero_one_is_rejected(bad):
    """A label other than 0 or 1 raises DataError naming the row and saying labels must be 0/1."""
    x, _ = two_rows_each()
    y = np.array([0, 0, 1, bad])
    with pytest.raises(DataError, match=r"row 3 has label .*labels must be 0 or 1"):
        Dataset(x, y)


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_is_rejected(label):
    """Labels of one class only raise DataError saying both classes are needed."""
    x, _ = two_rows_each()
    with pytest.raises(DataError, match="need both classes"):
        Dataset(x, np.full(4, label))


def test_valid_dataset_is_accepted():
    """A finite n x 2 table with both 0/1 labels builds a Dataset of that length."""
    x, y = two_rows_each()
    assert len(Dataset(x, y)) == 4


# --- property -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n=st.integers(4, 200),
    noise=st.floats(0, 1, allow_nan=False),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_configuration_gives_a_valid_dataset(kind, n, noise, seed):
    """Every kind, size in 4..200, noise in [0, 1] and seed yields a valid, balanced data set."""
    data = make(kind, n=n, noise=noise, seed=seed)
    assert data.x.shape == (n, 2)
    assert np.isfinite(data.x).all()
    assert int(data.y.sum()) == n - n // 2
    assert np.all(data.y[: n // 2] == 0)
    assert np.all(data.y[n // 2 :] == 1)
