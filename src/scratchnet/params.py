"""Typed, validated views of the `params.yaml` sections.

Each section becomes a frozen dataclass. `parse_section` rejects unknown keys, missing keys and
wrong types; each dataclass's `__post_init__` rejects out-of-range values. Every message names
the key, the value given and what is allowed, so a hand-edited `params.yaml` fails loudly at the
start of the stage that reads it, never deep inside a computation.
"""

from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath
from typing import Literal

from scratchnet.errors import ParamsError, quote

GENERATED_KINDS = ("flower", "moons", "circles", "xor", "spirals", "blobs")
OWN_KIND = "own"
"""`data.kind` for your own CSV file, the one `data.file` names."""
ActivationName = Literal["tanh", "sigmoid", "relu"]
InitName = Literal["uniform", "normal"]
DtypeName = Literal["float64", "float32"]
OptimizerName = Literal["gd", "momentum", "adam"]


MAX_SAMPLES = 10_000_000
MAX_FEATURES = 1_000
MAX_HIDDEN_UNITS = 100_000
MAX_EPOCHS = 100_000_000
MAX_INIT_SCALE = 1e3
MAX_NOISE = 100.0
"""Upper bounds that catch a typo (an extra zero or three) before it becomes a MemoryError or a
run of weeks; all far beyond anything this experiment needs. Initial weights beyond ±1000
saturate every unit (and overflow float32 long before its limit); noise beyond 100 buries data
whose points lie within a few units of the origin."""
SMALLEST_NORMAL = {"float64": 2.0**-1022, "float32": 2.0**-126}
UNIFORM_STEP = 2.0**-53
"""The smallest positive draw of `Generator.random`: weights of uniform init are multiples of
init_scale × UNIFORM_STEP, which must not be subnormal (subnormal arithmetic is many times
slower, and weights that small learn nothing)."""


def _require(section: str, key: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise ParamsError(f"{section}.{key} = {quote(value)} is out of range: allowed {allowed}")


@dataclasses.dataclass(frozen=True)
class DataParams:
    """How `generate` makes the data set: one of GENERATED_KINDS drawn from `seed` (columns x1,
    x2, y), or with kind OWN_KIND your own CSV file, `file`: then `features` (None: every column
    but the label), `label` and `positive` (None: 1 or true) pick its columns and class 1, and
    `n_samples`, `noise` and `seed` are not used.

    `file` is generate's dependency in dvc.yaml whatever the kind, so that DVC hashes that one
    file, not a folder; params.yaml must name a file there, a path within the project (DVC
    cannot render null, and a queued run sees only files git tracks)."""

    kind: str
    n_samples: int
    noise: float
    seed: int
    features: tuple[str, ...] | None = None
    label: str = "y"
    positive: str | int | float | bool | None = None
    file: str | None = None

    def __post_init__(self) -> None:
        _require(
            "data",
            "kind",
            self.kind,
            self.kind in (*GENERATED_KINDS, OWN_KIND),
            "one of " + ", ".join(map(repr, (*GENERATED_KINDS, OWN_KIND))) + " (your CSV file, "
            "named in data.file)",
        )
        if self.file is not None:
            path = PurePosixPath(self.file)
            _require(
                "data",
                "file",
                self.file,
                self.file.strip() != "" and not path.is_absolute() and ".." not in path.parts,
                "the path of a file within the project, relative to it",
            )
        _require(
            "data",
            "file",
            self.file,
            self.kind != OWN_KIND or self.file is not None,
            f"the path of your CSV file with data.kind {OWN_KIND!r}",
        )
        _require(
            "data",
            "n_samples",
            self.n_samples,
            4 <= self.n_samples <= MAX_SAMPLES,
            f"an integer from 4 to {MAX_SAMPLES:,}",
        )
        _require(
            "data",
            "noise",
            self.noise,
            0 <= self.noise <= MAX_NOISE,
            f"a number from 0 to {MAX_NOISE:g}",
        )
        _require("data", "seed", self.seed, self.seed >= 0, "an integer >= 0")
        _require("data", "label", self.label, self.label.strip() != "", "a column name")
        if self.features is not None:
            names = [name.strip() for name in self.features]
            _require(
                "data",
                "features",
                self.features,
                1 <= len(names) <= MAX_FEATURES and all(names),
                f"null or a list of 1 to {MAX_FEATURES:,} column names",
            )
            repeated = sorted({name for name in names if names.count(name) > 1})
            _require("data", "features", self.features, not repeated, "each column once")
            _require(
                "data",
                "features",
                self.features,
                self.label.strip() not in names,
                f"columns other than the label ({self.label!r})",
            )


@dataclasses.dataclass(frozen=True)
class SplitParams:
    """How `split` divides the rows and whether it standardises the features."""

    test_size: float
    seed: int
    stratify: bool
    standardize: bool

    def __post_init__(self) -> None:
        _require("split", "test_size", self.test_size, 0 < self.test_size < 1, "0 < test_size < 1")
        _require("split", "seed", self.seed, self.seed >= 0, "an integer >= 0")


@dataclasses.dataclass(frozen=True)
class NNParams:
    """The network's shape, initialisation and training: `optimizer` on batches of
    `batch_size` rows (None: the full batch, as the post) with weight decay `l2`.

    The keys with defaults came after the post's; their defaults are the post's trainer."""

    hidden_units: int
    activation: ActivationName
    epochs: int
    learning_rate: float
    init: InitName
    init_scale: float
    seed: int
    log_every: int
    dtype: DtypeName
    batch_size: int | None = None
    optimizer: OptimizerName = "gd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    l2: float = 0.0
    """Cost + l2 / 2 × Σ weights² (both layers' weights; biases are not penalised)."""

    def __post_init__(self) -> None:
        _require(
            "nn",
            "hidden_units",
            self.hidden_units,
            1 <= self.hidden_units <= MAX_HIDDEN_UNITS,
            f"an integer from 1 to {MAX_HIDDEN_UNITS:,}",
        )
        _require(
            "nn",
            "epochs",
            self.epochs,
            1 <= self.epochs <= MAX_EPOCHS,
            f"an integer from 1 to {MAX_EPOCHS:,}",
        )
        _require("nn", "learning_rate", self.learning_rate, self.learning_rate > 0, "a number > 0")
        smallest = SMALLEST_NORMAL[self.dtype] / UNIFORM_STEP
        _require(
            "nn",
            "init_scale",
            self.init_scale,
            smallest <= self.init_scale <= MAX_INIT_SCALE,
            f"a number from {smallest:.3g} (below it {self.dtype} initial weights are "
            f"subnormal) to {MAX_INIT_SCALE:g}",
        )
        _require("nn", "seed", self.seed, self.seed >= 0, "an integer >= 0")
        _require("nn", "log_every", self.log_every, self.log_every >= 1, "an integer >= 1")
        _require(
            "nn",
            "batch_size",
            self.batch_size,
            self.batch_size is None or 1 <= self.batch_size <= MAX_SAMPLES,
            f"null (the full batch) or an integer from 1 to {MAX_SAMPLES:,}",
        )
        for key in ("momentum", "beta1", "beta2"):
            value = getattr(self, key)
            _require("nn", key, value, 0 <= value < 1, "a number >= 0 and < 1")
        _require("nn", "epsilon", self.epsilon, self.epsilon > 0, "a number > 0")
        _require("nn", "l2", self.l2, self.l2 >= 0, "a number >= 0")


@dataclasses.dataclass(frozen=True)
class LogRegParams:
    """Stopping rule and ridge penalty of the Newton (IRLS) fit."""

    max_iter: int
    tol: float
    l2: float = 0.0
    """Ridge penalty: the fit minimises the mean cross-entropy + l2 / 2 × Σ coef² (the
    intercept is not penalised); 0 is the post's plain maximum likelihood."""

    def __post_init__(self) -> None:
        _require("logreg", "max_iter", self.max_iter, self.max_iter >= 1, "an integer >= 1")
        _require("logreg", "tol", self.tol, self.tol > 0, "a number > 0")
        _require("logreg", "l2", self.l2, self.l2 >= 0, "a number >= 0")


@dataclasses.dataclass(frozen=True)
class EvaluateParams:
    """Probability at or above which a test point is called class 1."""

    threshold: float

    def __post_init__(self) -> None:
        _require("evaluate", "threshold", self.threshold, 0 < self.threshold < 1, "0 < t < 1")


@dataclasses.dataclass(frozen=True)
class PlotParams:
    """Resolution of the decision-boundary figures."""

    grid_points: int
    dpi: int

    def __post_init__(self) -> None:
        _require(
            "plot", "grid_points", self.grid_points, 10 <= self.grid_points <= 2000, "10..2000"
        )
        _require("plot", "dpi", self.dpi, 30 <= self.dpi <= 600, "30..600")
