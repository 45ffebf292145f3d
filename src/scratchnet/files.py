"""Atomic writes and bounded reads: what every output and input file goes through.

Each output is written atomically: a temporary file created exclusively beside its target (a
planted symlink is never followed), then renamed into place, so a failed, interrupted or killed
stage leaves no half-written output; a later write of the same output removes the temporary
files a killed run left. Within `staged()` the renames wait for `Staging.commit`, which makes
them all or none, so a stage leaves every output or none. `check_outputs` refuses, before any
work, an output that is not a regular file or is the same file as an input or another output.
JSON is byte-deterministic (sorted keys, shortest round-trip floats).
"""

from __future__ import annotations

import errno
import glob
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
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


def _cannot_write(path: Path, error: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {error.strerror or error}")


class Staging:
    """Outputs written but not yet in place: each target and the temporary file beside it."""

    def __init__(self) -> None:
        self.pending: dict[Path, Path] = {}

    def commit(self) -> None:
        """Rename every temporary file onto its target, all or none: a target that was there
        is set aside first and put back if a later rename fails."""
        done: list[tuple[Path, Path | None]] = []
        for target, temporary in self.pending.items():
            try:
                kept = _set_aside(target)
                done.append((target, kept))
                temporary.replace(target)
            except OSError as error:
                for written, old in reversed(done):
                    if old is None:
                        written.unlink(missing_ok=True)
                    else:
                        old.replace(written)
                self.discard()
                raise _cannot_write(target, error) from None
        for _target, kept in done:
            if kept is not None:
                kept.unlink(missing_ok=True)
        self.pending.clear()

    def discard(self) -> None:
        """Remove every temporary file not yet renamed."""
        for temporary in self.pending.values():
            temporary.unlink(missing_ok=True)
        self.pending.clear()


def _set_aside(target: Path) -> Path | None:
    """Rename an existing `target` to a temporary name beside it (None: there was none)."""
    if not target.is_symlink() and not target.exists():
        return None
    descriptor, kept = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(descriptor)
    try:
        target.replace(kept)
    except BaseException:
        Path(kept).unlink(missing_ok=True)
        raise
    return Path(kept)


_STAGING: ContextVar[Staging | None] = ContextVar("staging", default=None)


@contextmanager
def staged() -> Iterator[Staging]:
    """Within the block, every write leaves its output in a temporary file beside it; the
    caller commits them all. Whatever is not committed when the block ends is removed."""
    staging = Staging()
    token = _STAGING.set(staging)
    try:
        yield staging
    finally:
        _STAGING.reset(token)
        staging.discard()


def _staged(path: Path, payload: bytes) -> Path:
    """A new temporary file beside `path` holding `payload`; an OS error is an OutputError
    naming the path, and leaves no temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(path)
        if path.is_dir():  # found now, not when renaming, so that nothing else is replaced yet
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise _cannot_write(path, error) from None
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _cannot_write(path, error) from None
        raise
    return Path(temporary)


def write_all(outputs: Mapping[PathArg, bytes]) -> None:
    """Put each payload at its path, every one or none: all are written to temporary files
    first and renamed into place only once every one is complete (within `staged()`: when the
    caller commits). An OS error is an OutputError naming the path; it leaves no temporary
    file and no output replaced."""
    outer = _STAGING.get()
    with nullcontext(outer) if outer is not None else staged() as staging:
        for path, payload in outputs.items():
            staging.pending[Path(path)] = _staged(Path(path), payload)
        if outer is None:
            staging.commit()


def write_bytes(path: PathArg, payload: bytes) -> None:
    """Put `payload` at `path` atomically; an OS error is an OutputError naming the path."""
    write_all({path: payload})


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def _output_problem(path: Path) -> str | None:
    """Why `path` cannot become a regular file, or None: it is (or links to) something else, or
    a file stands where one of its folders should be."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        for parent in path.parents:
            if parent.exists():
                return None if parent.is_dir() else f"{parent} is a file, not a folder"
        return None
    except OSError as error:
        return error.strerror or str(error)
    if stat.S_ISREG(mode):
        return None
    kind = _KINDS.get(stat.S_IFMT(mode), "something else")
    return f"it {'links to' if path.is_symlink() else 'is'} {kind}, not a regular file"


def _identities(path: Path) -> set[object]:
    """What makes two paths one file: the resolved path and, if it exists, device and inode
    (so `./x` and `x`, a symlink and its target, and hard links all match)."""
    found: set[object] = {path.resolve()}
    try:
        status = path.stat()
    except OSError:
        return found
    found.add((status.st_dev, status.st_ino))
    return found


def check_outputs(outputs: Mapping[str, PathArg], inputs: Mapping[str, PathArg]) -> None:
    """Refuse, before any work, an output (by label: its path) that cannot become a regular
    file, or that is the same file as an input or another output."""
    claimed: dict[object, str] = {}
    for label, path in inputs.items():
        claimed.update(dict.fromkeys(_identities(Path(path)), label))
    for label, path in outputs.items():
        path = Path(path)
        problem = _output_problem(path)
        if problem is not None:
            raise OutputError(f"cannot write {path}: {problem}")
        for identity in _identities(path):
            if identity in claimed:
                raise OutputError(
                    f"{label} {path} is the same file as {claimed[identity]}: each output must "
                    "be a file of its own, apart from every input"
                )
            claimed[identity] = label


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
