"""Two-class, two-feature data sets, each drawn from an explicit `numpy.random.Generator`.

`noise` is the standard deviation of the Gaussian jitter each generator adds; every generator
returns the classes in blocks of `n // 2` (class 0) and `n - n // 2` (class 1), like the course
exercise the seed post loads its CSV from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from scratchnet.errors import DataError
from scratchnet.params import DataParams

N_FEATURES = 2
"""Every data set has two features, x1 and x2, so its decision boundary can be drawn."""
MAX_ABS_FEATURE = 1e15
"""Features beyond ±1e15 are refused: far beyond any measured quantity, and far enough from
float64's limit (1.8e308) that sums of squares and the plotting grid cannot overflow."""
FLOWER_RADIUS = 4.0
"""`a` in the course exercise: the longest ray of the flower."""


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Features `x` (n × 2, float64) and labels `y` (n, int64 in {0, 1}), checked on creation."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if self.x.ndim != 2 or self.x.shape[1] != N_FEATURES:
            raise DataError(f"features must be an n x 2 table, got shape {self.x.shape}")
        if self.y.shape != (self.x.shape[0],):
            raise DataError(f"{self.y.shape[0]} labels for {self.x.shape[0]} rows")
        inside = (np.abs(self.x) <= MAX_ABS_FEATURE).all(axis=1)  # False for NaN too
        if not inside.all():
            row = int(np.flatnonzero(~inside)[0])
            raise DataError(
                f"row {row} has a feature outside ±{MAX_ABS_FEATURE:g} or not a number: "
                f"{self.x[row].tolist()}"
            )
        bad = ~np.isin(self.y, (0, 1))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"row {row} has label {self.y[row].item()!r}: labels must be 0 or 1")
        if np.unique(self.y).size < 2:
            raise DataError(f"all {self.y.size} rows have label {self.y[0]}: need both classes")

    def __len__(self) -> int:
        return int(self.y.size)

    def subset(self, rows: np.ndarray) -> Dataset:
        """The rows at `rows`, in that order."""
        return Dataset(self.x[rows], self.y[rows])


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
