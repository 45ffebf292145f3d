"""Every file the pipeline reads or writes: params, data sets, tables, metrics and model files.

Each output is written atomically: a temporary file created exclusively beside its target (a
planted symlink is never followed), then renamed into place, so a failed, interrupted or killed
stage leaves no half-written output; a later write of the same output removes the temporary
files a killed run left. Encodings are byte-deterministic (fixed float formatting, sorted JSON
keys, fixed zip timestamps), so `dvc repro -f` leaves `dvc.lock` unchanged.

Model files (the network, the logistic regression, the scaler) are one uncompressed `.npz`
each: the arrays, plus a `meta` member holding JSON with the format version and the model kind.
They are loaded without pickles, so a crafted file cannot run code.
"""

from __future__ import annotations

import dataclasses
import glob
import io
import json
import math
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from scratchnet import params
from scratchnet.datasets import MAX_ABS_FEATURE, N_FEATURES, Dataset
from scratchnet.errors import (
    DataError,
    ModelFileError,
    OutputError,
    ParamsError,
    ScratchnetError,
)
from scratchnet.logreg import LogisticModel
from scratchnet.nn import FitResult, Network
from scratchnet.split import MIN_SCALE, Standardizer

FORMAT_VERSION = 1
"""Version of the model files; bump it when their layout changes."""
DATASET_COLUMNS = ("x1", "x2", "y")
LOGISTIC_META = ("iterations", "gradient_norm", "separated")
"""How a logistic-regression fit ended, stored beside its coefficients."""

Section = TypeVar("Section")
PathArg = str | os.PathLike[str]
"""Every function here takes a path as a `str` or a `pathlib.Path`."""


# --- writing ---------------------------------------------------------------------------------


def remove_leftovers(path: PathArg) -> None:
    """Remove the temporary files that interrupted writes of `path` left beside it (only
    `.NAME.<random>.tmp`, not another output's `.NAME.bak.<random>.tmp`)."""
    path = Path(path)
    leftover = re.compile(re.escape(f".{path.name}.") + r"[^.]+\.tmp")
    for stale in path.parent.glob(glob.escape(f".{path.name}.") + "*.tmp"):
        if leftover.fullmatch(stale.name):
            stale.unlink(missing_ok=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


FILE_MODE = 0o666 & ~_umask()
"""The mode open() would give a new file (not mkstemp's 0600); read once, at import, because
reading the umask means setting it, process-wide."""


def write_bytes(path: PathArg, payload: bytes) -> None:
    """Put `payload` at `path` atomically; an OS error is an OutputError naming the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(path)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
        Path(temporary).replace(path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def encode_json(document: Mapping[str, Any]) -> bytes:
    """Sorted keys, two-space indent, shortest round-trip floats; NaN and inf are refused."""
    return (json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def write_json(path: PathArg, document: Mapping[str, Any]) -> None:
    write_bytes(path, encode_json(document))


def write_table(path: PathArg, columns: Mapping[str, Any]) -> None:
    """CSV with a header; floats in shortest round-trip form, so reading gives the same bits."""
    write_tables(path, [columns])


def write_tables(path: PathArg, parts: list[Mapping[str, Any]]) -> None:
    """Several tables with the same columns, one after the other, as one CSV; a scalar in a
    part stands for a column of that value."""
    names = list(parts[0])
    lines = [",".join(names)]
    for part in parts:
        columns = np.broadcast_arrays(*(np.asarray(part[name]) for name in names))
        cells = [_cells(column) for column in columns]
        lines.extend(map(",".join, zip(*cells, strict=True)))
    write_bytes(path, ("\n".join(lines) + "\n").encode())


def _cells(values: np.ndarray) -> list[str]:
    """Each value as CSV text: `repr` of a float is the shortest string that reads back to it."""
    return [repr(item) if isinstance(item, float) else str(item) for item in values.tolist()]


def write_dataset(path: PathArg, data: Dataset) -> None:
    write_table(path, {"x1": data.x[:, 0], "x2": data.x[:, 1], "y": data.y})


# --- reading ---------------------------------------------------------------------------------

MAX_PARAMS_BYTES = 1 << 20
MAX_JSON_BYTES = 1 << 20
MAX_TABLE_BYTES = 640 << 20
"""Input files larger than this are refused before they are read (params and metrics are a few
KB; a table of `params.MAX_SAMPLES` rows, the most a table may have, is about 600 MB and needs
about 4 GiB to read)."""
MAX_MODEL_META_BYTES = 1 << 16


def not_found(path: PathArg) -> str:
    """The message for a missing input: most inputs are some earlier stage's output."""
    return f"{path} not found: run the stage that writes it first (dvc repro)"


def _read_text(path: PathArg, limit: int, error: type[ScratchnetError] = DataError) -> str:
    """The UTF-8 text of `path`, refused before reading if it is over `limit` bytes."""
    path = Path(path)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise error(f"{path} is not a regular file")
        size = status.st_size
        if size > limit:
            raise error(f"{path} is {size:,} bytes, more than the {limit:,} this input may have")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(not_found(path)) from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path} cannot be read: {problem}") from None


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
    text = _read_text(path, MAX_PARAMS_BYTES, ParamsError)
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
        raise ParamsError(f"{path}: {params.quote(problem)}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ParamsError(f"params file {path} must hold a mapping of sections")
    return document


def read_section(path: PathArg, cls: type[Section]) -> Section:
    """The validated `cls` section of the params file at `path`."""
    return params.section(read_params(path), cls)


def read_json(path: PathArg) -> dict[str, Any]:
    """The JSON object at `path`; a missing, unreadable, oversized or invalid file is a
    DataError."""
    text = _read_text(path, MAX_JSON_BYTES)
    try:
        document = json.loads(text)
    except RecursionError:
        raise DataError(f"{path} is not valid JSON: nested too deeply") from None
    except ValueError as error:  # also an integer of more digits than Python converts
        raise DataError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise DataError(f"{path} must hold a JSON object")
    return document


def read_number(path: PathArg, *keys: str) -> float:
    """The finite number at `keys` (nested) in the JSON object at `path`."""
    value: Any = read_json(path)
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    try:
        number = float(value) if isinstance(value, int | float) else math.nan
    except OverflowError:
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise DataError(f"{path}: {'.'.join(keys)} = {params.quote(value)} must be a finite number")
    return number


def read_table(path: PathArg, columns: tuple[str, ...]) -> tuple[dict[str, np.ndarray], list[int]]:
    """Named numeric columns of a CSV with a header, and the line number (as an editor counts)
    of each row; every row must have as many fields as the header. The first defect found is a
    DataError naming the file and the line."""
    text = _read_text(path, MAX_TABLE_BYTES)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(f"{path} is empty")
    fields = lines[0].count(",") + 1
    numbers = []
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            if line.count(",") + 1 != fields:
                raise DataError(
                    f"{path} line {number} has {line.count(',') + 1} fields; "
                    f"the header (line 1) has {fields}"
                )
            numbers.append(number)
    if len(numbers) > params.MAX_SAMPLES:
        raise DataError(f"{path} has {len(numbers):,} rows, more than {params.MAX_SAMPLES:,}")
    header = lines[0].split(",")
    missing = [column for column in columns if column not in header]
    if missing:
        raise DataError(f"{path} has no column {missing[0]!r} (found {params.quote(header)})")
    if not numbers:
        raise DataError(f"{path} has a header but no rows")
    rows = [lines[number - 1].split(",") for number in numbers]
    values = {}
    for column in columns:
        index = header.index(column)
        values[column] = _numbers(path, column, [row[index].strip() for row in rows], numbers)
    return values, numbers


def _numbers(path: PathArg, column: str, texts: list[str], lines: list[int]) -> np.ndarray:
    """The column's texts as float64 (nan and inf included: callers check ranges); the first
    empty or non-numeric field (Python's digit separator `_` counts as one) is a DataError."""
    parsed = []
    for text, line in zip(texts, lines, strict=True):
        try:
            if "_" in text:
                raise ValueError(text)
            parsed.append(float(text))
        except ValueError:
            problem = "is empty" if not text else f"= {params.quote(text)} is not a number"
            raise DataError(f"{path} line {line}: {column} {problem}") from None
    return np.array(parsed, dtype=np.float64)


def read_dataset(path: PathArg) -> Dataset:
    """A CSV with numeric columns x1, x2 within ±MAX_ABS_FEATURE and a 0/1 column y; any defect
    names the file and the line."""
    columns, lines = read_table(path, DATASET_COLUMNS)
    for name in DATASET_COLUMNS[:N_FEATURES]:
        values = columns[name]
        bad = ~(np.abs(values) <= MAX_ABS_FEATURE)  # also NaN
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = float(values[row])
            raise DataError(
                f"{path} line {lines[row]}: {name} = {value!r} is outside the accepted range: "
                f"a finite number within ±{MAX_ABS_FEATURE:g}"
            )
    labels = columns["y"]
    bad_label = ~np.isin(labels, (0.0, 1.0))
    if bad_label.any():
        row = int(np.flatnonzero(bad_label)[0])
        raise DataError(
            f"{path} line {lines[row]}: label y = {labels[row].item()!r}; labels must be 0 or 1"
        )
    try:
        return Dataset(np.column_stack([columns["x1"], columns["x2"]]), labels.astype(np.int64))
    except DataError as error:
        raise DataError(f"{path}: {error}") from None


# --- model files -----------------------------------------------------------------------------


def _write_model(
    path: Path, kind: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]
) -> None:
    """An uncompressed `.npz` of `arrays` and a `meta` JSON member (`np.savez` stamps members
    1980-01-01, so the bytes do not depend on the clock)."""
    document = json.dumps(
        {"format_version": FORMAT_VERSION, "kind": kind, **meta}, sort_keys=True, allow_nan=False
    )
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, meta=np.array(document), **arrays)
    write_bytes(path, buffer.getvalue())


Expected = dict[str, tuple[tuple[int, ...], str]]
"""Array name -> (shape, dtype) that a model file must hold."""


def _read_header(member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype of a `.npy` stream, read without touching its data."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    return np.lib.format.read_array_header_2_0(member)


def _read_member(
    archive: zipfile.ZipFile, name: str, shape: tuple[int, ...], dtype: str
) -> np.ndarray:
    """One `.npy` member, its header checked against `shape` and `dtype` before any data is
    read, so a crafted header cannot make us allocate more than the expected array."""
    with archive.open(f"{name}.npy") as member:
        found_shape, fortran, found_dtype = _read_header(member)
        if found_shape != shape:
            raise ValueError(f"{name} has shape {found_shape}, expected {shape}")
        if found_dtype != np.dtype(dtype):
            raise ValueError(f"{name} holds {found_dtype}, expected {dtype}")
        size = found_dtype.itemsize * math.prod(shape)
        data = member.read(size + 1)
    if len(data) != size:
        raise ValueError(f"{name} holds {len(data)} bytes of data, expected {size}")
    array = np.frombuffer(data, found_dtype).reshape(shape, order="F" if fortran else "C")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers")
    return array.copy()


def _read_meta(archive: zipfile.ZipFile, path: Path, kind: str) -> dict[str, Any]:
    """The meta member's document, its format version and kind checked."""
    info = archive.NameToInfo.get("meta.npy")
    if info is None or info.file_size > MAX_MODEL_META_BYTES:
        raise ModelFileError(f"{path} has no valid meta member: not a scratchnet model file")
    with archive.open(info) as member:
        shape, _, dtype = _read_header(member)
        text = None
        if shape == () and dtype.kind == "U" and dtype.itemsize <= MAX_MODEL_META_BYTES:
            data = member.read(dtype.itemsize + 1)
            if len(data) == dtype.itemsize:  # the header's size, not more
                text = str(np.frombuffer(data, dtype)[0])
    try:
        document = json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise ModelFileError(f"{path} has no valid meta member: not a scratchnet model file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format_version {params.quote(version)}; this scratchnet reads "
            f"{FORMAT_VERSION}: rerun the stage that writes it (dvc repro)"
        )
    if document.get("kind") != kind:
        found = params.quote(document.get("kind"))
        raise ModelFileError(f"{path} holds a {found} model, expected {kind!r}")
    return document


def _read_model(
    path: PathArg, kind: str, expected: Callable[[dict[str, Any]], Expected]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the meta document of a `kind` model file.

    The meta member is read first, then `expected(meta)` says which arrays the file must hold;
    each is checked from its header before its data is read. Members must be stored
    uncompressed, as `_write_model` writes them, so a small file cannot inflate into a large
    one. Nothing is unpickled.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            if any(info.compress_type != zipfile.ZIP_STORED for info in archive.infolist()):
                raise ValueError("it has compressed members; scratchnet writes them uncompressed")
            meta = _read_meta(archive, path, kind)
            wanted = expected(meta)
            names = sorted(name.removesuffix(".npy") for name in archive.namelist())
            if names != sorted([*wanted, "meta"]):
                found = [name for name in names if name != "meta"]
                raise ModelFileError(f"{path} holds arrays {found}; expected {sorted(wanted)}")
            arrays = {
                name: _read_member(archive, name, shape, dtype)
                for name, (shape, dtype) in wanted.items()
            }
    except FileNotFoundError:
        raise ModelFileError(not_found(path)) from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ModelFileError(f"{path} is not a valid model file: {error}") from None
    return arrays, meta


def write_network(path: PathArg, result: FitResult) -> None:
    """The network's weights, its learning curve and the `nn` params it was trained with."""
    arrays = {**result.network.arrays(), "cost": result.cost_history}
    meta = {"nn": dataclasses.asdict(result.config)}
    _write_model(path, "nn", arrays, meta)


def _network_config(path: PathArg, meta: dict[str, Any]) -> params.NNParams:
    try:
        return params.parse_section("nn", meta.get("nn"), params.NNParams)
    except ParamsError as error:
        raise ModelFileError(f"{path}: {error}") from None


def read_network(path: PathArg) -> FitResult:
    """A network file written by `write_network`, every array and param checked."""

    def expected(meta: dict[str, Any]) -> Expected:
        config = _network_config(path, meta)
        h, dtype = config.hidden_units, config.dtype
        weights = {"w1": (h, N_FEATURES), "b1": (h, 1), "w2": (1, h), "b2": (1, 1)}
        shapes = {name: (shape, dtype) for name, shape in weights.items()}
        return {**shapes, "cost": ((config.epochs,), "float64")}

    arrays, meta = _read_model(path, "nn", expected)
    config = _network_config(path, meta)
    cost = arrays.pop("cost")
    if (cost < 0).any():
        raise ModelFileError(f"{path}: cost holds a negative value; a cross-entropy cannot")
    return FitResult(Network.from_arrays(**arrays, activation=config.activation), cost, config)


def write_logistic(path: PathArg, model: LogisticModel) -> None:
    """Intercept and coefficients, and how the fit ended."""
    meta = {key: getattr(model, key) for key in LOGISTIC_META}
    arrays = {"intercept": np.array([model.intercept]), "coef": model.coef}
    _write_model(path, "logreg", arrays, meta)


def read_logistic(path: PathArg) -> LogisticModel:
    """A logistic-regression file written by `write_logistic`, every field checked."""
    vector = ((N_FEATURES,), "float64")
    arrays, meta = _read_model(
        path, "logreg", lambda _: {"intercept": ((1,), "float64"), "coef": vector}
    )
    iterations, norm, separated = (meta.get(key) for key in LOGISTIC_META)
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 0:
        found = params.quote(iterations)
        raise ModelFileError(f"{path}: iterations = {found} must be an integer >= 0")
    if isinstance(norm, bool) or not isinstance(norm, float) or not math.isfinite(norm):
        found = params.quote(norm)
        raise ModelFileError(f"{path}: gradient_norm = {found} must be a finite number")
    if not isinstance(separated, bool):
        found = params.quote(separated)
        raise ModelFileError(f"{path}: separated = {found} must be true or false")
    intercept = float(arrays["intercept"][0])
    return LogisticModel(intercept, arrays["coef"], iterations, norm, separated)


def write_scaler(path: PathArg, scaler: Standardizer) -> None:
    _write_model(path, "scaler", {"mean": scaler.mean, "scale": scaler.scale}, {})


def read_scaler(path: PathArg) -> Standardizer:
    """The training split's standardisation statistics: means within ±MAX_ABS_FEATURE (as the
    features they come from), scales from MIN_SCALE to 2 × MAX_ABS_FEATURE."""
    vector = ((N_FEATURES,), "float64")
    arrays, _ = _read_model(path, "scaler", lambda _: {"mean": vector, "scale": vector})
    mean, scale = arrays["mean"], arrays["scale"]
    if not (np.abs(mean) <= MAX_ABS_FEATURE).all():
        raise ModelFileError(
            f"{path}: mean {mean.tolist()} is outside ±{MAX_ABS_FEATURE:g}, the feature range"
        )
    if not ((scale >= MIN_SCALE) & (scale <= 2 * MAX_ABS_FEATURE)).all():
        raise ModelFileError(
            f"{path}: scale {scale.tolist()} must be from {MIN_SCALE:g} to {2 * MAX_ABS_FEATURE:g}"
        )
    return Standardizer(mean, scale)
