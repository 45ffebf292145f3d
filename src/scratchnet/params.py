"""Typed, validated views of the `params.yaml` sections.

Each section becomes a frozen dataclass. `parse_section` rejects unknown keys, missing keys and
wrong types; each dataclass's `__post_init__` rejects out-of-range values. Every message names
the key, the value given and what is allowed, so a hand-edited `params.yaml` fails loudly at the
start of the stage that reads it, never deep inside a computation.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from scratchnet.errors import ParamsError, quote

GENERATED_KINDS = ("flower", "moons", "circles", "xor", "spirals", "blobs")
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


def _require(section: str, key: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise ParamsError(f"{section}.{key} = {quote(value)} is out of range: allowed {allowed}")


@dataclasses.dataclass(frozen=True)
class DataParams:
    """How `generate` makes the data set: one of GENERATED_KINDS drawn from `seed` (columns x1,
    x2, y), or your own data as the path of a CSV file: then `features` (None: every column but
    the label), `label` and `positive` (None: 1 or true) pick its columns and class 1, and
    `n_samples`, `noise` and `seed` are not used."""

    kind: str
    n_samples: int
    noise: float
    seed: int
    features: tuple[str, ...] | None = None
    label: str = "y"
    positive: str | int | float | bool | None = None

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
        _require(
            "nn",
            "init_scale",
            self.init_scale,
            0 < self.init_scale <= MAX_INIT_SCALE,
            f"a number > 0 and <= {MAX_INIT_SCALE:g}",
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


Section = TypeVar("Section")
PathArg = str | os.PathLike[str]


def _describe(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in get_args(annotation))
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(arm) for arm in get_args(annotation))
    if origin is tuple:
        return f"a list of {_describe(get_args(annotation)[0]).removeprefix('a ')}s"
    return {
        int: "an integer",
        float: "a number (finite)",
        bool: "true or false",
        str: "a string",
        type(None): "null",
    }[annotation]


def _accepts(annotation: Any, value: object) -> bool:
    origin = get_origin(annotation)
    if origin is Literal:
        return isinstance(value, str) and value in get_args(annotation)
    if origin in (Union, types.UnionType):
        return any(_accepts(arm, value) for arm in get_args(annotation))
    if origin is tuple:  # a YAML list
        return isinstance(value, list) and all(
            _accepts(get_args(annotation)[0], item) for item in value
        )
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


def _convert(annotation: Any, value: object) -> object:
    """The value as the dataclass holds it: a float for a float key, a tuple for a list."""
    if annotation is float:
        return float(value)  # type: ignore[arg-type]
    return tuple(value) if isinstance(value, list) else value


def recorded(config: object) -> dict[str, Any]:
    """The section as a model file records it: every key without a default, and the keys
    with one only where they differ from it, so a file written at the defaults stays what it
    was before those keys existed (and reads back the same, `parse_section` filling them in)."""
    return {
        field.name: getattr(config, field.name)
        for field in dataclasses.fields(config)  # type: ignore[arg-type]
        if field.default is dataclasses.MISSING or getattr(config, field.name) != field.default
    }


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
    optional = {
        field.name
        for field in dataclasses.fields(cls)  # type: ignore[arg-type]
        if field.default is not dataclasses.MISSING
    }
    missing = [key for key in fields if key not in raw and key not in optional]
    if missing:
        raise ParamsError(
            f"missing key {name}.{missing[0]}: expected {_describe(hints[missing[0]])}"
        )
    values: dict[str, Any] = {}
    for key in fields:
        if key not in raw:
            continue  # a key added since: its default keeps older params files meaning the same
        value, annotation = raw[key], hints[key]
        if not _accepts(annotation, value):
            raise ParamsError(
                f"{name}.{key} = {quote(value)} is invalid: expected {_describe(annotation)}"
            )
        values[key] = _convert(annotation, value)
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


# --- the params file ---------------------------------------------------------------------

MAX_PARAMS_BYTES = 1 << 20
MAX_PARAMS_DEPTH = 20
"""params.yaml is sections of keys: nesting deeper than this is a mistake, refused before it
costs anything."""


def _check_params_events(path: Path, text: str) -> None:
    """Refuse aliases (`*name`, `<<: *name`) and deep nesting from the parser's events, before
    anything is built: an alias bomb of a few hundred bytes expands into billions of nodes."""
    from ruamel.yaml import YAML
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    depth = 0
    for event in YAML(typ="safe").parse(text):
        where = f"{path}:{event.start_mark.line + 1}:{event.start_mark.column + 1}"
        if isinstance(event, AliasEvent):
            raise ParamsError(f"{where}: aliases (*{event.anchor}) are not allowed in params")
        depth += isinstance(event, CollectionStartEvent) - isinstance(event, CollectionEndEvent)
        if depth > MAX_PARAMS_DEPTH:
            raise ParamsError(f"{where}: nested deeper than {MAX_PARAMS_DEPTH} levels")


def read_params(path: PathArg) -> dict[str, Any]:
    """The params document, parsed by the YAML 1.2 loader DVC uses, so what runs is what
    `dvc.lock` records (see `dvc.utils.serialize.parse_yaml`); duplicate keys, aliases and
    deep nesting are refused."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    from scratchnet.files import read_text

    path = Path(path)
    if not path.exists():
        raise ParamsError(f"params file {path} not found")
    text = read_text(path, MAX_PARAMS_BYTES, ParamsError)
    try:
        _check_params_events(path, text)
        document = YAML(typ="safe").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
        raise ParamsError(f"{where}: {problem}") from None
    except ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = error.character
        shown = repr(chr(character) if isinstance(character, int) else character)
        raise ParamsError(
            f"{path}:{line}:{column}: character {shown} is not allowed in YAML"
        ) from None
    except (YAMLError, ValueError, KeyError, TypeError) as error:  # e.g. `!!int x`
        problem = " ".join(str(error).split()) or type(error).__name__
        raise ParamsError(f"{path}: {quote(problem)}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ParamsError(f"params file {path} must hold a mapping of sections")
    return document


def read_section(path: PathArg, cls: type[Section]) -> Section:
    """The validated `cls` section of the params file at `path`."""
    return section(read_params(path), cls)
