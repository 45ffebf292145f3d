"""Reading and writing the pipeline's files, deterministically and atomically.

Writers encode to bytes in memory; `commit` then writes all of a stage's outputs to temporary
files beside their targets and renames them into place with SIGINT and SIGTERM held back, so a
stage that is interrupted or fails leaves every earlier output as it was. (The renames are
separate system calls: only an operating-system error between two of them, such as a file
made read-only meanwhile, could leave some outputs new and others old.) Encoders are
byte-deterministic (fixed float formatting, sorted JSON keys, fixed zip timestamps) so the same
inputs give the same bytes and `dvc repro -f` leaves `dvc.lock` unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import signal
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from scratchnet.datasets import Dataset
from scratchnet.errors import DataError, ParamsError, ScratchnetError

DATASET_COLUMNS = ("x1", "x2", "y")
FORMAT_VERSION = 1
"""Version of the model and scaler files; bump it when their layout changes."""


# --- committing outputs ---------------------------------------------------------------------


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver the first one that came.

    Python-level handlers, not a signal mask: a mask covers only this thread, and a signal sent
    to the process may land on another one (OpenBLAS starts worker threads).
    """
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {
        signum: signal.signal(signum, lambda signum, _: received.append(signum)) for signum in held
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])


class InterruptedAfterCommit(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived while the renames were held: every new output is in place."""


def commit(outputs: Mapping[Path, bytes]) -> None:
    """Write every output atomically: all temporary files first, then all renames together.

    A signal that arrives during the renames is held until they are done and then raised as
    InterruptedAfterCommit, so the caller can tell a user that the outputs were written.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, payload in outputs.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            staged.append((temporary, path))
            with temporary.open("wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        try:
            with _signals_deferred():
                for temporary, path in staged:
                    temporary.replace(path)
                staged.clear()
        except KeyboardInterrupt as interruption:
            if staged:
                raise
            raise InterruptedAfterCommit(str(interruption)) from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


# --- encoders --------------------------------------------------------------------------------


def encode_json(document: Mapping[str, Any]) -> bytes:
    """Sorted keys, two-space indent, shortest round-trip floats; NaN and inf are refused."""
    return (json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def encode_table(columns: Mapping[str, np.ndarray]) -> bytes:
    """CSV with a header; floats in shortest round-trip form, so reading gives the same bits."""
    return pd.DataFrame(dict(columns)).to_csv(index=False, lineterminator="\n").encode()


def encode_dataset(data: Dataset) -> bytes:
    return encode_table({"x1": data.x[:, 0], "x2": data.x[:, 1], "y": data.y})


def encode_npz(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An uncompressed `.npz` without pickles (`np.savez` stamps members 1980-01-01: no clock)."""
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


# --- readers ---------------------------------------------------------------------------------


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 floats, as DVC writes them.

    YAML 1.1 (PyYAML) reads `1e-12` and `1e6` as strings; YAML 1.2 (DVC's ruamel, e.g. after
    `dvc exp run -S logreg.tol=1e-12`) and every person editing params.yaml mean numbers.
    """


_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def not_found(path: Path) -> str:
    """The message for a missing input: most inputs are some earlier stage's output."""
    return f"{path} not found: run the stage that writes it first"


def read_text(path: Path, error: type[ScratchnetError] = DataError) -> str:
    """The text of `path`; a missing, unreadable or non-UTF-8 file is `error`, naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"params file {path} not found" if error is ParamsError else not_found(path)
        raise error(message) from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path} cannot be read: {problem}") from None


def read_params(path: Path) -> Any:
    """The parsed params document (validated section by section with `scratchnet.params`)."""
    try:
        return yaml.load(read_text(path, ParamsError), Loader=_Yaml12Loader)
    except yaml.YAMLError as error:
        raise ParamsError(f"params file {path} is not valid YAML: {error}") from None


def read_json_document(path: Path) -> Any:
    """Any JSON value from `path`; a missing, unreadable or invalid file is a DataError."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not valid JSON: {error}") from None


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object at `path`."""
    document = read_json_document(path)
    if not isinstance(document, dict):
        raise DataError(f"{path} must hold a JSON object")
    return document


def read_number(path: Path, key: str) -> float:
    """The finite number under `key` in the JSON object at `path`."""
    value = read_json(path).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataError(f"{path}: {key} = {value!r} must be a finite number")
    return float(value)


def _read_numeric_csv(path: Path, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
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


def read_dataset(path: Path) -> Dataset:
    """A CSV with numeric columns x1, x2 and a 0/1 column y; any defect names the file."""
    columns = _read_numeric_csv(path, DATASET_COLUMNS)
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


def read_cost_curve(path: Path) -> np.ndarray:
    """The cost column of a learning-curve CSV (epoch, cost), checked finite and non-empty."""
    cost = _read_numeric_csv(path, ("cost",))["cost"]
    if not np.isfinite(cost).all():
        raise DataError(f"{path} has a missing or infinite cost")
    return cost
