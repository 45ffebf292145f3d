"""Tests of scratchnet.datasets: every generator's shape, labels and seeding; Dataset checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import datasets
from scratchnet.datasets import Dataset, RowError, binary_labels
from scratchnet.errors import DataError
from scratchnet.params import GENERATED_KINDS, MAX_FEATURES, DataParams

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
        (np.zeros(4), r"n x d.*\(4,\)"),
        (np.zeros((4, 2, 1)), r"n x d"),
        (np.zeros((4, 0)), r"n x d.*\(4, 0\)"),
        (np.zeros((4, MAX_FEATURES + 1)), rf"1 <= d <= {MAX_FEATURES:,}"),
    ],
    ids=["one-dimensional", "three-dimensional", "no-features", "too-wide"],
)
def test_wrong_feature_shape_is_rejected(x, match):
    """Features that are not an n x d table with 1 <= d <= MAX_FEATURES raise DataError."""
    with pytest.raises(DataError, match=match):
        Dataset(x, np.array([0, 0, 1, 1]), tuple(f"f{i}" for i in range(np.shape(x)[-1])))


def test_names_must_match_the_width():
    """A name per feature: two names for three columns raise DataError."""
    with pytest.raises(DataError, match="2 names for 3 features"):
        Dataset(np.zeros((4, 3)), np.array([0, 0, 1, 1]))


@pytest.mark.parametrize("d", [1, 3, 30])
def test_any_width_keeps_its_names(d):
    """A data set of d named features keeps the names and subsets keep them too."""
    names = tuple(f"feature {i} (mm)" for i in range(d))
    data = Dataset(np.ones((4, d)), np.array([0, 1, 0, 1]), names, "diagnosis")
    part = data.subset(np.array([1, 2]))
    assert (part.feature_names, part.label_name, part.n_features) == (names, "diagnosis", d)


def test_label_count_mismatch_is_rejected():
    """A label vector of another length raises DataError with both counts."""
    x, _ = two_rows_each()
    with pytest.raises(DataError, match="3 labels for 4 rows"):
        Dataset(x, np.array([0, 1, 1]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e16])
def test_non_finite_feature_is_rejected(bad):
    """A NaN, infinite or huge feature is a RowError naming the row and the column."""
    x, y = two_rows_each()
    x[2, 1] = bad
    with pytest.raises(RowError, match=r"row 2: x2 = .* outside the accepted range") as caught:
        Dataset(x, y)
    assert caught.value.row == 2


@pytest.mark.parametrize("row", [0, 5, 6, 13])
def test_a_feature_out_of_range_is_found_in_any_block_of_rows(monkeypatch, row):
    """The range check, made a few rows at a time, names the row and column of the first bad
    value whichever block it falls in, as a FieldError a reader can quote from its file."""
    monkeypatch.setattr(datasets, "CHECK_VALUES", 6)  # two rows of three features
    x = np.zeros((14, 3))
    x[row, 2], x[13, 0] = 1e400, np.nan
    with pytest.raises(datasets.FieldError) as caught:
        Dataset(x, np.arange(14) % 2, ("a", "b", "c"))
    found = caught.value
    first = (row, 2) if row < 13 else (13, 0)
    assert (found.row, found.column) == first
    assert found.about("'1e400'") == f"{'abc'[first[1]]} = '1e400' {found.why}"


def test_zero_one_counts_rows_from_the_part_it_is_given():
    """Labels checked a part at a time name the row in the whole table."""
    assert datasets.zero_one(np.array([0.0, 1.0]), "y").dtype == np.int64
    with pytest.raises(RowError, match=r"row 12: label y = 2\.0; labels must be 0 or 1"):
        datasets.zero_one(np.array([0.0, 1.0, 2.0]), "y", first_row=10)


@pytest.mark.parametrize("bad", [2, -1, 0.5])
def test_label_outside_zero_one_is_rejected(bad):
    """A label other than 0 or 1 raises DataError naming the row and saying labels must be 0/1."""
    x, _ = two_rows_each()
    y = np.array([0, 0, 1, bad])
    with pytest.raises(RowError, match=r"row 3: label y = .*labels must be 0 or 1"):
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


# --- two-valued labels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "positive", "expected"),
    [
        ([0, 1], None, [0, 1, 1, 0]),
        ([1.0, 0.0], None, [1, 0, 0, 1]),
        ([True, False], None, [1, 0, 0, 1]),
        (["FALSE", "True"], None, [0, 1, 1, 0]),
        (["benign", "malignant"], "malignant", [0, 1, 1, 0]),
        (["yes", "no"], "no", [0, 1, 1, 0]),
        ([2, 7], 7, [0, 1, 1, 0]),
        (["1", "0"], 0, [0, 1, 1, 0]),
        ([" a ", "b"], "a", [1, 0, 0, 1]),
    ],
)
def test_binary_labels_pick_class_one(values, positive, expected):
    """Class 1 is the value data.positive names, or the 1 / true of 0/1 and true/false."""
    codes = np.array([0, 1, 1, 0])
    np.testing.assert_array_equal(binary_labels(codes, values, positive, "y"), expected)


def test_binary_labels_without_a_default_ask_for_positive():
    """Two values that are neither 0/1 nor true/false need data.positive, named in one line."""
    with pytest.raises(DataError, match=r"values 'yes' and 'no': set data\.positive"):
        binary_labels(np.array([0, 1]), ["yes", "no"], None, "y")


def test_binary_labels_refuse_a_positive_that_is_not_a_value():
    """data.positive must be one of the two values; the message names both."""
    with pytest.raises(DataError, match=r"data\.positive = 'x' is not a value of label y"):
        binary_labels(np.array([0, 1]), ["a", "b"], "x", "y")


def test_binary_labels_refuse_a_third_value_at_its_first_row():
    """A third distinct value is a RowError at the first row holding it, naming the values."""
    with pytest.raises(RowError, match=r"more than two values \('a', 'b', 'c'\)") as caught:
        binary_labels(np.array([0, 1, 0, 2, 2]), ["a", "b", "c"], "a", "y")
    assert caught.value.row == 3


def test_binary_labels_refuse_one_value_and_an_empty_label():
    """One distinct value is refused naming it; an empty label (code -1) names its row."""
    with pytest.raises(DataError, match="label y has one value, 'a'"):
        binary_labels(np.array([0, 0]), ["a"], None, "y")
    with pytest.raises(RowError, match="label y is empty") as caught:
        binary_labels(np.array([0, 1, -1]), ["a", "b"], "a", "y")
    assert caught.value.row == 2
