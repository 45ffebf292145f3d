"""params.yaml into the typed sections of `scratchnet.params`.

The file is read as DVC reads it: ruamel.yaml's safe loader, YAML 1.2, so what runs is what
`dvc.lock` records (PyYAML, YAML 1.1, reads `012` as 10 and `1e-3` as a string); aliases, deep
nesting, duplicate keys and oversized files are refused in one line. `parse_section` then
rejects unknown keys, missing keys and wrong types, and each section's dataclass rejects
out-of-range values, every message naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from scratchnet.errors import ParamsError, quote
from scratchnet.files import PathArg, read_text
from scratchnet.params import (
    DataParams,
    EvaluateParams,
    LogRegParams,
    NNParams,
    PlotParams,
    SplitParams,
)

Section = TypeVar("Section")


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
    if annotation is int:  # 40.0 is 40: DVC compares params by value, so it must run as 40
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if annotation is float:  # an integer is a fine float; a bool, NaN or infinity is not
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        try:
            return math.isfinite(value)
        except OverflowError:  # an integer beyond the float range
            return False
    return isinstance(value, annotation)


def _convert(annotation: Any, value: object) -> object:
    """The value as the dataclass holds it: a float for a float key, an int for an integer key
    (so 40.0 trains, and is recorded in a model file, exactly as 40), a tuple for a list."""
    arms = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
    if annotation is float:
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, float) and (annotation is int or (int in arms and float not in arms)):
        return int(value)
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


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """The field types of a section's dataclass, evaluated once (model files are read field by
    field, and evaluating annotations is most of what reading a small one costs)."""
    return typing.get_type_hints(cls)


def parse_section(name: str, raw: object, cls: type[Section]) -> Section:
    """Build the dataclass `cls` from the mapping found under `name` in params.yaml."""
    if not isinstance(raw, Mapping):
        raise ParamsError(
            f"params section {name!r} must be a mapping of keys to values, got {quote(raw)}"
        )
    hints = _type_hints(cls)
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


def check_sections(document: Mapping[Any, Any]) -> None:
    """Refuse a section that no stage reads, suggesting the one it was probably meant to be:
    DVC runs no stage for a section no stage declares (`dvc exp run -S +evalute.threshold=0.3`
    would change nothing and say nothing)."""
    known = list(SECTION_NAMES.values())
    for name in document:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParamsError(
                f"unknown params section {quote(name)}{hint}: allowed sections are "
                + ", ".join(known)
            )


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
