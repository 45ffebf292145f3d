"""Typed, validated views of the `params.yaml` sections.

Each section becomes a frozen dataclass. `parse_section` rejects unknown keys, missing keys and
wrong types; each dataclass's `__post_init__` rejects out-of-range values. Every message names
the key, the value given and what is allowed, so a hand-edited `params.yaml` fails loudly at the
start of the stage that reads it, never deep inside a computation.
"""

from __future__ import annotations

import dataclasses
import math
import reprlib
import typing
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, Literal, TypeVar, get_args, get_origin

from scratchnet.errors import ParamsError

GENERATED_KINDS = ("flower", "moons", "circles", "xor", "spirals", "blobs")
ActivationName = Literal["tanh", "sigmoid", "relu"]
InitName = Literal["uniform", "normal"]
DtypeName = Literal["float64", "float32"]


MAX_SAMPLES = 10_000_000
MAX_HIDDEN_UNITS = 100_000
MAX_EPOCHS = 100_000_000
MAX_INIT_SCALE = 1e3
MAX_NOISE = 100.0
"""Upper bounds that catch a typo (an extra zero or three) before it becomes a MemoryError or a
run of weeks; all far beyond anything this experiment needs. Initial weights beyond ±1000
saturate every unit (and overflow float32 long before its limit); noise beyond 100 buries data
whose points lie within a few units of the origin."""


_QUOTE = reprlib.Repr()
_QUOTE.maxlevel, _QUOTE.maxlist, _QUOTE.maxdict = 1, 4, 4
_QUOTE.maxstring = _QUOTE.maxother = 60
_QUOTE.maxlong = 40


def quote(value: object) -> str:
    """`repr(value)`, shortened: an error message never quotes a huge or deeply nested value
    (a YAML alias bomb expands to billions of elements)."""
    return _QUOTE.repr(value)


def _require(section: str, key: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise ParamsError(f"{section}.{key} = {quote(value)} is out of range: allowed {allowed}")


@dataclasses.dataclass(frozen=True)
class DataParams:
    """How `generate` makes the data set: one of GENERATED_KINDS drawn from `seed`, or your own
    data as the path of a CSV file (then `n_samples`, `noise` and `seed` are not used)."""

    kind: str
    n_samples: int
    noise: float
    seed: int

    def __post_init__(self) -> None:
        _require(
            "data",
            "kind",
            self.kind,
            self.kind in GENERATED_KINDS or self.own_data is not None,
            "one of " + ", ".join(map(repr, GENERATED_KINDS)) + ", or the path of a .csv file",
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

    @property
    def own_data(self) -> PurePosixPath | None:
        """The CSV file `kind` names, or None for a generated data set."""
        return PurePosixPath(self.kind) if self.kind.endswith(".csv") else None


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
    """The network's shape, initialisation and full-batch gradient-descent schedule."""

    hidden_units: int
    activation: ActivationName
    epochs: int
    learning_rate: float
    init: InitName
    init_scale: float
    seed: int
    log_every: int
    dtype: DtypeName

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
        _require(
            "nn",
            "init_scale",
            self.init_scale,
            0 < self.init_scale <= MAX_INIT_SCALE,
            f"a number > 0 and <= {MAX_INIT_SCALE:g}",
        )
        _require("nn", "seed", self.seed, self.seed >= 0, "an integer >= 0")
        _require("nn", "log_every", self.log_every, self.log_every >= 1, "an integer >= 1")


@dataclasses.dataclass(frozen=True)
class LogRegParams:
    """Stopping rule of the Newton (IRLS) fit."""

    max_iter: int
    tol: float

    def __post_init__(self) -> None:
        _require("logreg", "max_iter", self.max_iter, self.max_iter >= 1, "an integer >= 1")
        _require("logreg", "tol", self.tol, self.tol > 0, "a number > 0")


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


Section = TypeVar("Section")


def _describe(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(choice) for choice in get_args(annotation))
    return {int: "an integer", float: "a number (finite)", bool: "true or false", str: "a string"}[
        annotation
    ]


def _accepts(annotation: Any, value: object) -> bool:
    if get_origin(annotation) is Literal:
        return isinstance(value, str) and value in get_args(annotation)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:  # an integer is a fine float; a bool, NaN or infinity is not
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        try:
            return math.isfinite(value)
        except OverflowError:  # an integer beyond the float range
            return False
    return isinstance(value, annotation)


def parse_section(name: str, raw: object, cls: type[Section]) -> Section:
    """Build the dataclass `cls` from the mapping found under `name` in params.yaml."""
    if not isinstance(raw, Mapping):
        raise ParamsError(
            f"params section {name!r} must be a mapping of keys to values, got {quote(raw)}"
        )
    hints = typing.get_type_hints(cls)
    fields = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields), key=str)
    if unknown:
        raise ParamsError(
            f"unknown key {name}.{str(unknown[0])[:60]} (value {quote(raw[unknown[0]])}): "
            f"allowed keys are {', '.join(fields)}"
        )
    missing = [key for key in fields if key not in raw]
    if missing:
        raise ParamsError(
            f"missing key {name}.{missing[0]}: expected {_describe(hints[missing[0]])}"
        )
    values: dict[str, Any] = {}
    for key in fields:
        value, annotation = raw[key], hints[key]
        if not _accepts(annotation, value):
            raise ParamsError(
                f"{name}.{key} = {quote(value)} is invalid: expected {_describe(annotation)}"
            )
        values[key] = float(value) if annotation is float else value
    return cls(**values)


SECTION_NAMES: dict[type, str] = {
    DataParams: "data",
    SplitParams: "split",
    NNParams: "nn",
    LogRegParams: "logreg",
    EvaluateParams: "evaluate",
    PlotParams: "plot",
}


def section(document: object, cls: type[Section]) -> Section:
    """The validated `cls` section of an already-parsed params document."""
    name = SECTION_NAMES[cls]
    if not isinstance(document, Mapping):
        raise ParamsError("the params file must hold a mapping of sections")
    if name not in document:
        raise ParamsError(f"the params file has no section {name!r}")
    return parse_section(name, document[name], cls)
