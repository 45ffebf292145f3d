"""Two-class data sets: the checked `Dataset` of any width, and six two-feature ones, each
drawn from an explicit `numpy.random.Generator`.

`noise` is the standard deviation of the Gaussian jitter each generator adds; every generator
returns the classes in blocks of `n // 2` (class 0) and `n - n // 2` (class 1), like the course
exercise the seed post loads its CSV from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from scratchnet.errors import DataError
from scratchnet.params import MAX_FEATURES, DataParams

GENERATED_FEATURES = ("x1", "x2")
"""Every generated data set has two features, so its decision boundary can be drawn."""
MAX_ABS_FEATURE = 1e15
"""Features beyond ±1e15 are refused: far beyond any measured quantity, and far enough from
float64's limit (1.8e308) that sums of squares and the plotting grid cannot overflow."""
FLOWER_RADIUS = 4.0
"""`a` in the course exercise: the longest ray of the flower."""


CHECK_VALUES = 1 << 20
"""Features range-checked at a time (whole rows): the check's temporary arrays stay within
9 MiB whatever the table's size."""


class RowError(DataError):
    """A defect in one row: readers turn `row` (0-based, among the data rows) into a line."""

    def __init__(self, row: int, problem: str) -> None:
        super().__init__(f"row {row}: {problem}")
        self.row, self.problem = row, problem


class FieldError(RowError):
    """A defect in one value, feature `column` of data row `row`, shown as `shown`: a reader
    that has the file shows the field as written there instead (`1e400`, which reads as inf)."""

    def __init__(self, row: int, column: int, name: str, shown: str, why: str) -> None:
        self.column, self.name, self.why = column, name, why
        super().__init__(row, self.about(shown))

    def about(self, shown: str) -> str:
        """The problem with the value shown as `shown`."""
        return f"{self.name} = {shown} {self.why}"


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Features `x` (n × d float64, 1 ≤ d ≤ MAX_FEATURES) named `feature_names`, and labels
    `y` (n, 0 or 1, held as int64) of the column `label_name`; checked on creation."""

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...] = GENERATED_FEATURES
    label_name: str = "y"

    def __post_init__(self) -> None:
        if self.x.ndim != 2 or not 1 <= self.x.shape[1] <= MAX_FEATURES:
            raise DataError(
                f"features must be an n x d table with 1 <= d <= {MAX_FEATURES:,}, "
                f"got shape {self.x.shape}"
            )
        if len(self.feature_names) != self.x.shape[1]:
            raise DataError(f"{len(self.feature_names)} names for {self.x.shape[1]} features")
        if self.y.shape != (self.x.shape[0],):
            raise DataError(f"{self.y.shape[0]} labels for {self.x.shape[0]} rows")
        rows = max(1, CHECK_VALUES // self.x.shape[1])
        for start in range(0, self.x.shape[0], rows):
            inside = np.abs(self.x[start : start + rows]) <= MAX_ABS_FEATURE  # NaN: False
            if not inside.all():
                row, column = np.argwhere(~inside)[0] + (start, 0)
                raise FieldError(
                    int(row),
                    int(column),
                    self.feature_names[column],
                    repr(self.x[row, column].item()),
                    f"is outside the accepted range: a finite number within ±{MAX_ABS_FEATURE:g}",
                )
        object.__setattr__(self, "y", zero_one(self.y, self.label_name))
        if self.y.size == 0 or self.y.min() == self.y.max():
            raise DataError(f"all {self.y.size} rows have one label: need both classes")

    def __len__(self) -> int:
        return int(self.y.size)

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    def subset(self, rows: np.ndarray) -> Dataset:
        """The rows at `rows`, in that order."""
        return Dataset(self.x[rows], self.y[rows], self.feature_names, self.label_name)


def zero_one(labels: np.ndarray, name: str, first_row: int = 0) -> np.ndarray:
    """`labels` (of the column `name`) as int64, each checked to be 0 or 1; a reader checking
    a part of a table gives the row its part starts at, `first_row`."""
    bad = (labels != 0) & (labels != 1)
    if bad.any():
        row = int(np.argmax(bad))
        raise RowError(
            first_row + row, f"label {name} = {labels[row].item()!r}; labels must be 0 or 1"
        )
    return labels.astype(np.int64, copy=False)


def label_text(value: object) -> str:
    """How a label value is compared with `data.positive`: 1, 1.0 and "1" are "1"; True, "true"
    and "TRUE" are "true"; other text as written, without surrounding spaces."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    return text.lower() if text.lower() in ("true", "false") else text


DEFAULT_POSITIVES = {frozenset({"0", "1"}): "1", frozenset({"false", "true"}): "true"}
"""Class 1 when `data.positive` is null: 1 of 0/1 and true of true/false."""


def binary_labels(
    codes: np.ndarray, values: Sequence[object], positive: object, name: str
) -> np.ndarray:
    """0/1 labels from a label column factorised as `codes` (-1: empty) into distinct `values`:
    class 1 is the value `positive` names (None: the 1 of 0/1 or the true of true/false)."""
    missing = codes < 0
    if missing.any():
        raise RowError(int(np.argmax(missing)), f"label {name} is empty")
    texts = [label_text(value) for value in values]
    distinct = list(dict.fromkeys(texts))
    if len(distinct) > 2:
        third = texts.index(distinct[2])
        shown = ", ".join(map(repr, distinct[:3])) + (", ..." if len(distinct) > 3 else "")
        raise RowError(
            int(np.argmax(codes == third)),
            f"label {name} has more than two values ({shown}); a label must have two",
        )
    if len(distinct) < 2:
        raise DataError(f"label {name} has one value, {distinct[0]!r}: need two classes")
    wanted = (
        DEFAULT_POSITIVES.get(frozenset(distinct)) if positive is None else label_text(positive)
    )
    if wanted not in distinct:
        values_shown = f"{distinct[0]!r} and {distinct[1]!r}"
        raise DataError(
            f"label {name} has values {values_shown}: set data.positive to the one that is class 1"
            if positive is None
            else f"data.positive = {positive!r} is not a value of label {name} ({values_shown})"
        )
    positive_codes = [code for code, text in enumerate(texts) if text == wanted]
    return np.isin(codes, positive_codes).astype(np.int64)


def _class_sizes(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def _labels(n: int) -> np.ndarray:
    n0, n1 = _class_sizes(n)
    return np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])


def flower(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """The course's planar flower: two classes on alternate petals of r = a sin(4t)."""
    parts = []
    for label, size in enumerate(_class_sizes(n)):
        t = np.linspace(label * 3.12, (label + 1) * 3.12, size) + rng.standard_normal(size) * noise
        r = FLOWER_RADIUS * np.sin(4 * t) + rng.standard_normal(size) * noise
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    return np.concatenate(parts)


def moons(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Two interleaving half circles (class 0 on top)."""
    n0, n1 = _class_sizes(n)
    top = np.linspace(0, np.pi, n0)
    bottom = np.linspace(0, np.pi, n1)
    x = np.concatenate(
        [
            np.column_stack([np.cos(top), np.sin(top)]),
            np.column_stack([1 - np.cos(bottom), 0.5 - np.sin(bottom)]),
        ]
    )
    return x + rng.standard_normal(x.shape) * noise


def circles(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """A unit circle (class 0) around a circle of radius 0.5 (class 1)."""
    parts = []
    for radius, size in zip((1.0, 0.5), _class_sizes(n), strict=True):
        angle = np.linspace(0, 2 * np.pi, size, endpoint=False)
        parts.append(radius * np.column_stack([np.cos(angle), np.sin(angle)]))
    x = np.concatenate(parts)
    return x + rng.standard_normal(x.shape) * noise


def xor(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Points in the unit square's quadrants: class 1 where x1 and x2 share a sign."""
    n0, n1 = _class_sizes(n)
    magnitude = rng.uniform(0.05, 1.0, size=(n, 2))
    first_sign = rng.choice([-1.0, 1.0], size=n)
    same = np.concatenate([np.full(n0, -1.0), np.full(n1, 1.0)])
    signs = np.column_stack([first_sign, first_sign * same])
    x = magnitude * signs
    return x + rng.standard_normal(x.shape) * noise


def spirals(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Two interleaved Archimedean spirals of 1.35 turns, the second rotated by pi.

    Radius grows to 4 (the flower's scale), so neighbouring arms lie 1.2 apart and the default
    noise of 0.2 blurs them without erasing them.
    """
    parts = []
    for label, size in enumerate(_class_sizes(n)):
        radius = np.linspace(0.4, FLOWER_RADIUS, size)
        angle = 3 * np.pi * radius / FLOWER_RADIUS + label * np.pi
        parts.append(radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
    x = np.concatenate(parts)
    return x + rng.standard_normal(x.shape) * noise


def blobs(n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Two isotropic Gaussian blobs centred at (-1, -1) and (1, 1) with spread `noise`."""
    centres = np.repeat(np.array([[-1.0, -1.0], [1.0, 1.0]]), _class_sizes(n), axis=0)
    return centres + rng.standard_normal(centres.shape) * noise


GENERATORS: dict[str, Callable[[int, float, np.random.Generator], np.ndarray]] = {
    "flower": flower,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "spirals": spirals,
    "blobs": blobs,
}


def generate(config: DataParams) -> Dataset:
    """The data set `config.kind`, reproducible from `config.seed`."""
    rng = np.random.default_rng(config.seed)
    x = GENERATORS[config.kind](config.n_samples, config.noise, rng)
    return Dataset(x, _labels(config.n_samples))
