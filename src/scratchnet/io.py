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
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from scratchnet import params
from scratchnet.datasets import N_FEATURES, Dataset
from scratchnet.errors import DataError, ModelFileError, OutputError, ParamsError
from scratchnet.logreg import LogisticModel
from scratchnet.nn import FitResult, Network
from scratchnet.split import Standardizer

FORMAT_VERSION = 1
"""Version of the model files; bump it when their layout changes."""
DATASET_COLUMNS = ("x1", "x2", "y")
LOGISTIC_META = ("iterations", "gradient_norm", "separated")
"""How a logistic-regression fit ended, stored beside its coefficients."""

Section = TypeVar("Section")


# --- writing ---------------------------------------------------------------------------------


def write_bytes(path: Path, payload: bytes) -> None:
    """Put `payload` at `path` atomically; an OS error is an OutputError naming the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        leftover = re.compile(re.escape(f".{path.name}.") + r"[^.]+\.tmp")
        for stale in path.parent.glob(glob.escape(f".{path.name}.") + "*.tmp"):
            if leftover.fullmatch(stale.name):  # not `.{path.name}.bak.….tmp` of another output
                stale.unlink(missing_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
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


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    write_bytes(path, encode_json(document))


def write_table(path: Path, columns: Mapping[str, Any]) -> None:
    """CSV with a header; floats in shortest round-trip form, so reading gives the same bits."""
    frame = pd.DataFrame(dict(columns))
    write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode())


def write_dataset(path: Path, data: Dataset) -> None:
    write_table(path, {"x1": data.x[:, 0], "x2": data.x[:, 1], "y": data.y})


# --- reading ---------------------------------------------------------------------------------


def not_found(path: Path) -> str:
    """The message for a missing input: most inputs are some earlier stage's output."""
    return f"{path} not found: run the stage that writes it first (dvc repro)"


def read_params(path: Path) -> dict[str, Any]:
    """The params document, parsed by the YAML 1.2 loader DVC uses, so what runs is what
    `dvc.lock` records (see `dvc.utils.serialize.parse_yaml`); duplicate keys are refused."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"params file {path} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ParamsError(f"params file {path} cannot be read: {error}") from None
    try:
        document = YAML(typ="safe").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
        raise ParamsError(f"{where}: {problem}") from None
    except YAMLError as error:
        raise ParamsError(f"{path}: {' '.join(str(error).split())}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ParamsError(f"params file {path} must hold a mapping of sections")
    return document


def read_section(path: Path, cls: type[Section]) -> Section:
    """The validated `cls` section of the params file at `path`."""
    return params.section(read_params(path), cls)


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object at `path`; a missing, unreadable or invalid file is a DataError."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(not_found(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path} cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise DataError(f"{path} must hold a JSON object")
    return document


def read_table(path: Path, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Named numeric columns of a CSV with a header; the first defect found names the file."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(not_found(path)) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty") from None
    except (pd.errors.ParserError, OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path} is not a readable CSV: {error}") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"{path} has no column {missing[0]!r} (found {list(frame.columns)})")
    if frame.empty:
        raise DataError(f"{path} has a header but no rows")
    values = {}
    for column in columns:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() & frame[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{path} row {row}: {column} = {frame[column].iloc[row]!r} is not a number"
            )
        values[column] = numbers.to_numpy(dtype=np.float64)
    return values


def read_number(path: Path, *keys: str) -> float:
    """The finite number at `keys` (nested) in the JSON object at `path`."""
    value: Any = read_json(path)
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise DataError(f"{path}: {'.'.join(keys)} = {value!r} must be a finite number")
    return float(value)


def read_dataset(path: Path) -> Dataset:
    """A CSV with numeric columns x1, x2 and a 0/1 column y; any defect names the file."""
    columns = read_table(path, DATASET_COLUMNS)
    labels = columns["y"]
    bad_label = ~np.isin(labels, (0.0, 1.0))
    if bad_label.any():
        row = int(np.flatnonzero(bad_label)[0])
        raise DataError(
            f"{path} row {row}: label y = {labels[row].item()!r}; labels must be 0 or 1"
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


def _read_model(path: Path, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the meta document of a `kind` model file, its version and kind checked."""
    try:
        with path.open("rb") as handle:  # our handle: np.load leaks its own on a bad zip
            archive = np.load(handle, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            with archive:
                arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise ModelFileError(not_found(path)) from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ModelFileError(f"{path} is not a valid .npz model file: {error}") from None
    meta = arrays.pop("meta", None)
    try:
        document = json.loads(str(meta)) if meta is not None and meta.dtype.kind == "U" else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise ModelFileError(f"{path} has no valid meta member: not a scratchnet model file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format_version {version!r}; this scratchnet reads {FORMAT_VERSION}: "
            "rerun the stage that writes it (dvc repro)"
        )
    if document.get("kind") != kind:
        raise ModelFileError(f"{path} holds a {document.get('kind')!r} model, expected {kind!r}")
    return arrays, document


def _check_arrays(
    path: Path, arrays: Mapping[str, np.ndarray], expected: Mapping[str, tuple[tuple, str]]
) -> None:
    """Exactly the arrays named in `expected`, each of its (shape, dtype), all finite."""
    if set(arrays) != set(expected):
        raise ModelFileError(f"{path} holds arrays {sorted(arrays)}; expected {sorted(expected)}")
    for name, (shape, dtype) in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ModelFileError(f"{path}: {name} has shape {array.shape}, expected {shape}")
        if array.dtype != np.dtype(dtype):
            raise ModelFileError(f"{path}: {name} holds {array.dtype}, expected {dtype}")
        if not np.isfinite(array).all():
            raise ModelFileError(f"{path}: {name} must hold finite numbers")


def write_network(path: Path, result: FitResult) -> None:
    """The network's weights, its learning curve and the `nn` params it was trained with."""
    arrays = {**result.network.arrays(), "cost": result.cost_history}
    meta = {"nn": dataclasses.asdict(result.config)}
    _write_model(path, "nn", arrays, meta)


def read_network(path: Path) -> FitResult:
    """A network file written by `write_network`, every array and param checked."""
    arrays, meta = _read_model(path, "nn")
    try:
        config = params.parse_section("nn", meta.get("nn"), params.NNParams)
    except ParamsError as error:
        raise ModelFileError(f"{path}: {error}") from None
    h, d, dtype = config.hidden_units, N_FEATURES, config.dtype
    weights = {"w1": (h, d), "b1": (h, 1), "w2": (1, h), "b2": (1, 1)}
    expected = {name: (shape, dtype) for name, shape in weights.items()}
    _check_arrays(path, arrays, {**expected, "cost": ((config.epochs,), "float64")})
    network = Network.from_arrays(
        **{name: arrays[name] for name in weights}, activation=config.activation
    )
    return FitResult(network, arrays["cost"], config)


def write_logistic(path: Path, model: LogisticModel) -> None:
    """Intercept and coefficients, and how the fit ended."""
    meta = {key: getattr(model, key) for key in LOGISTIC_META}
    arrays = {"intercept": np.array([model.intercept]), "coef": model.coef}
    _write_model(path, "logreg", arrays, meta)


def read_logistic(path: Path) -> LogisticModel:
    """A logistic-regression file written by `write_logistic`, every field checked."""
    arrays, meta = _read_model(path, "logreg")
    _check_arrays(
        path, arrays, {"intercept": ((1,), "float64"), "coef": ((N_FEATURES,), "float64")}
    )
    iterations, norm, separated = (meta.get(key) for key in LOGISTIC_META)
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 0:
        raise ModelFileError(f"{path}: iterations = {iterations!r} must be an integer >= 0")
    if isinstance(norm, bool) or not isinstance(norm, int | float) or not np.isfinite(norm):
        raise ModelFileError(f"{path}: gradient_norm = {norm!r} must be a finite number")
    if not isinstance(separated, bool):
        raise ModelFileError(f"{path}: separated = {separated!r} must be true or false")
    intercept = float(arrays["intercept"][0])
    return LogisticModel(intercept, arrays["coef"], iterations, float(norm), separated)


def write_scaler(path: Path, scaler: Standardizer) -> None:
    _write_model(path, "scaler", {"mean": scaler.mean, "scale": scaler.scale}, {})


def read_scaler(path: Path) -> Standardizer:
    """The training split's standardisation statistics: finite means, positive scales."""
    arrays, _ = _read_model(path, "scaler")
    vector = ((N_FEATURES,), "float64")
    _check_arrays(path, arrays, {"mean": vector, "scale": vector})
    if not (arrays["scale"] > 0).all():
        raise ModelFileError(f"{path}: scale must be positive, got {arrays['scale'].tolist()}")
    return Standardizer(arrays["mean"], arrays["scale"])
