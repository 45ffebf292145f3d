"""Atomic writes and bounded reads: what every output and input file goes through.

Each output is written atomically: a temporary file created exclusively beside its target (a
planted symlink is never followed), then renamed into place, so a failed, interrupted or killed
stage leaves no half-written output; a later write of the same output removes the temporary
files a killed run left. JSON is byte-deterministic (sorted keys, shortest round-trip floats).
"""

from __future__ import annotations

import glob
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scratchnet.errors import DataError, OutputError, ScratchnetError, quote

PathArg = str | os.PathLike[str]
"""Every function here takes a path as a `str` or a `pathlib.Path`."""
MAX_JSON_BYTES = 1 << 20


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


def not_found(path: PathArg) -> str:
    """The message for a missing input: most inputs are some earlier stage's output."""
    return f"{path} not found: run the stage that writes it first (dvc repro)"


def checked_size(path: PathArg, limit: int, error: type[ScratchnetError] = DataError) -> int:
    """The size of the regular file at `path`, refused before it is read if over `limit`."""
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise error(not_found(path)) from None
    except OSError as problem:
        raise error(f"{path} cannot be read: {problem}") from None
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path} is not a regular file")
    if status.st_size > limit:
        raise error(
            f"{path} is {status.st_size:,} bytes, more than the {limit:,} this input may have"
        )
    return status.st_size


def read_text(path: PathArg, limit: int, error: type[ScratchnetError] = DataError) -> str:
    """The UTF-8 text of `path`, refused before reading if it is over `limit` bytes."""
    checked_size(path, limit, error)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(not_found(path)) from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path} cannot be read: {problem}") from None


def read_json(path: PathArg) -> dict[str, Any]:
    """The JSON object at `path`; a missing, unreadable, oversized or invalid file is a
    DataError."""
    text = read_text(path, MAX_JSON_BYTES)
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
        raise DataError(f"{path}: {'.'.join(keys)} = {quote(value)} must be a finite number")
    return number
