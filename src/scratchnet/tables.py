"""CSV tables in: users' data sets as spreadsheets write them, and the pipeline's own
(written by `scratchnet.tablewriter`).

Users' files are read with pandas' C parser (a BOM, quotes, CRLF and spaces accepted), columns
picked by name (`data.features`, `data.label`, `data.positive`). The pipeline's own tables are
read by NumPy's C parser while small (importing pandas costs more than that), pandas' when
large. The limits are checked before parsing (`csvlines.scanned`); pandas then parses a chunk of
rows at a time into preallocated arrays, so reading takes at most about 4 times a file's size
plus a fixed amount whatever its shape (benchmarks/README.md). A defect is one DataError naming
the file and the line (`scratchnet.csvlines` finds where); so is running out of memory.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from scratchnet import csvlines, files
from scratchnet.datasets import Dataset, RowError, binary_labels, label_text, zero_one
from scratchnet.errors import DataError, quote
from scratchnet.files import PathArg
from scratchnet.params import DataParams

T = TypeVar("T")

MAX_TABLE_BYTES = 640 << 20
"""Tables larger than this are refused before they are read."""
PANDAS_BYTES = 4 << 20
"""The pipeline's own tables from this size on are parsed by pandas (0.3 s to import, then
about ten times NumPy's speed)."""
CHUNK_FIELDS = 1 << 21
"""Fields pandas parses at a time: its working memory for a chunk (tokens, columns, the chunk's
numbers) stays under about 70 MiB whatever the file's shape; parsed whole it grows with the file
(ten bytes and more a field), in smaller pieces reading slows down (a thousand columns each)."""
LABEL_TEXTS = 4
"""Distinct label values told apart: two are needed, three are named when refusing more."""
PANDAS_OPTIONS: dict[str, Any] = {
    "encoding": "utf-8-sig",
    "skipinitialspace": True,
    "keep_default_na": False,
    "na_values": [""],
    "on_bad_lines": "error",
    "index_col": False,
}
"""How pandas reads a CSV: only an empty field is missing ("NA" or "nan" is not a number), and
a ragged row is an error. A column typed differently in two of pandas' chunks (numbers, then
text) comes out as Python objects, which `_numeric` and the labels take as they are."""


def read_dataset(path: PathArg) -> Dataset:
    """One of the pipeline's own tables: numeric features, then a 0/1 label as the last
    column."""
    size = files.checked_size(path, MAX_TABLE_BYTES)
    lines = csvlines.scanned(path)
    header = csvlines.header(path)
    if len(header) < 2:
        raise DataError(f"{path} line 1 has {len(header)} column; need features and a label")
    features = range(len(header) - 1)
    csvlines.check_width(path, len(features))
    with _memory(path, size):
        values = _loaded(path) if size < PANDAS_BYTES else None
        if values is not None and values.shape[1] == len(header):
            x, y = values[:, :-1], values[:, -1]
        else:  # pandas reads it or finds the defect
            rows = _row_bound(size, lines, len(header), range(len(header)))
            x, y, _ = _parsed(path, header, features, len(header) - 1, rows)
        return _dataset(path, x, y, tuple(header[:-1]), header[-1], features)


def read_split(train: PathArg, test: PathArg) -> tuple[Dataset, Dataset]:
    """The training and test tables, which must have the same columns in the same order."""
    parts = read_dataset(train), read_dataset(test)
    names = [(*part.feature_names, part.label_name) for part in parts]
    if names[0] != names[1]:
        raise DataError(
            f"{test} has columns {quote(names[1])}, {train} {quote(names[0])}: the split must "
            "write both (dvc repro)"
        )
    return parts


def read_own_dataset(path: PathArg, config: DataParams) -> Dataset:
    """A user's CSV: the columns `config` names (by default every column but the label, in
    the file's order), the label's two values turned into 0/1 (class 1: `config.positive`)."""
    size = files.checked_size(path, MAX_TABLE_BYTES)
    lines = csvlines.scanned(path)
    header = csvlines.header(path)
    label = config.label.strip()
    features = _feature_columns(path, header, label, config.features)
    csvlines.check_width(path, len(features))
    columns = [header.index(name) for name in features]
    with _memory(path, size):
        rows = _row_bound(size, lines, len(header), {*columns, header.index(label)})
        x, codes, texts = _parsed(path, header, columns, header.index(label), rows, labels=True)
        try:
            y = binary_labels(codes, texts, config.positive, label)
        except RowError as error:
            raise csvlines.located(path, error) from None
        except DataError as error:
            raise DataError(f"{path}: {error}") from None
        return _dataset(path, x, y, features, label, columns)


@contextlib.contextmanager
def _memory(path: PathArg, size: int) -> Iterator[None]:
    """Running out of memory while reading `path` is one DataError, not a traceback."""
    try:
        yield
    except MemoryError:
        raise DataError(f"{path}: not enough memory to read its {size:,} bytes") from None


def _loaded(path: PathArg) -> np.ndarray | None:
    """The numbers of a small, clean table by NumPy's parser (no pandas import), or None for
    anything it refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "input contained no data" is a warning
            return np.loadtxt(
                path, delimiter=",", skiprows=1, ndmin=2, comments=None, encoding="utf-8"
            )
    except (ValueError, UnicodeDecodeError, Warning):
        return None


def _parsed(
    path: PathArg,
    header: list[str],
    features: Sequence[int],
    label: int,
    rows: int,
    labels: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """The `features` columns as float64 (at most `rows` rows) and the `label` column: as 0/1,
    or with `labels` as codes (int8, -1: empty) into the list of its distinct values as
    `label_text` gives them. Read by pandas a chunk of about CHUNK_FIELDS fields at a time,
    so its working memory is bounded whatever the shape; each chunk is checked for empty fields
    and short rows before its numbers are kept."""
    used = sorted({*features, label, len(header) - 1})  # the last column shows a short row
    x = np.empty((rows, len(features)))
    y = np.empty(rows, np.int8 if labels else np.int64)
    texts: list[Any] = []
    start = 0
    for chunk in _chunks(path, header):
        stop = start + len(chunk)
        _check_complete(path, chunk, header, used, start)
        numbers = chunk[list(features)]
        if all(kind in "iuf" for kind in numbers.dtypes.map(lambda dtype: dtype.kind)):
            x[start:stop] = numbers.to_numpy(np.float64)  # one pass for a table of numbers
        else:
            for index, column in enumerate(features):
                x[start:stop, index] = _numeric(path, chunk[column], header[column], start)
        if labels:
            y[start:stop] = _codes(chunk[label], texts)
        else:
            numbers = _numeric(path, chunk[label], header[label], start)
            try:
                y[start:stop] = zero_one(numbers, header[label], start)
            except RowError as error:
                raise csvlines.located(path, error) from None
        start = stop
    if start == 0:
        raise DataError(f"{path} has a header but no rows")
    return x[:start], y[:start], texts


def _chunks(path: PathArg, header: list[str]) -> Iterator[Any]:
    """The table as pandas DataFrames of about CHUNK_FIELDS fields each, columns named by their
    index (every column: with `usecols` pandas no longer refuses a row of extra fields)."""
    import pandas as pd

    rows = max(1, CHUNK_FIELDS // len(header))
    options = {**PANDAS_OPTIONS, "header": 0, "names": range(len(header))}
    with _parsing(path, header, lambda: pd.read_csv(path, chunksize=rows, **options)) as reader:
        while (chunk := _parsing(path, header, lambda: next(reader, None))) is not None:
            yield chunk


def _parsing(path: PathArg, header: list[str], parse: Callable[[], T]) -> T:
    """`parse()`, pandas' refusal of a ragged row or of bytes that are not UTF-8 turned into
    one DataError naming its line."""
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a row longer than the header only warns
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return parse()
    except (ValueError, UnicodeDecodeError, Warning) as error:
        found = csvlines.first_defect(path, header, ())
        raise DataError(found or csvlines.unparsed(path, error)) from None


def _check_complete(
    path: PathArg, chunk: Any, header: list[str], used: Sequence[int], start: int
) -> None:
    """Refuse an empty field in the `used` columns of a chunk whose first row is data row
    `start`, or a row short of fields (its last column is then empty), naming its line."""
    missing = chunk[list(used)].isna().to_numpy().any(axis=1)
    if missing.any():
        row = start + int(np.argmax(missing))
        found = csvlines.first_defect(path, header, used, skip=row)
        raise DataError(found or f"{path}: row {row + 1} has an empty field")


def _dataset(
    path: PathArg,
    x: np.ndarray,
    y: np.ndarray,
    features: tuple[str, ...],
    label: str,
    columns: Sequence[int],
) -> Dataset:
    """The Dataset, a failed check on one row turned into the file and line (a feature's
    value as written in its file column `columns[i]`)."""
    try:
        return Dataset(x, y, features, label)
    except RowError as error:
        raise csvlines.located(path, error, columns) from None
    except DataError as error:
        raise DataError(f"{path}: {error}") from None


def _numeric(path: PathArg, column: Any, name: str, start: int) -> np.ndarray:
    """A column of a chunk whose first row is data row `start` as float64 ("nan" and "inf"
    included: the Dataset checks ranges); its first field that is not a number is a DataError
    naming its line."""
    import pandas as pd

    if column.dtype.kind in "iuf":
        return column.to_numpy(np.float64)
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
    if column.dtype.kind == "b":
        bad = np.ones(numbers.size, bool)
    else:
        bad = np.isnan(numbers) & column.astype(str).str.strip().str.lower().ne("nan").to_numpy()
    if not bad.any():
        return numbers
    row = int(np.argmax(bad))
    text = str(column.iloc[row]).strip()
    raise csvlines.located(path, RowError(start + row, f"{name} = {quote(text)} is not a number"))


def _codes(column: Any, texts: list[str]) -> np.ndarray:
    """The label column of a chunk as int8 codes into `texts`, the distinct label texts in
    order of appearance (extended here; -1: an empty field). Past LABEL_TEXTS distinct texts
    the rest share the last code: `binary_labels` refuses more than two, naming three."""
    import pandas as pd

    codes, values = pd.factorize(column)  # label_text strips each distinct value
    mapping = np.full(len(values) + 1, LABEL_TEXTS - 1, np.int8)
    mapping[-1] = -1
    for index, value in enumerate(values):
        text = label_text(value)
        if text not in texts:
            if len(texts) == LABEL_TEXTS:
                break
            texts.append(text)
        mapping[index] = texts.index(text)
    return mapping[codes]


def _feature_columns(
    path: PathArg, header: list[str], label: str, features: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The feature columns by name, each checked to be in the header, as is the label."""
    wanted = [label, *(name.strip() for name in features or ())]
    for name in wanted:
        if name not in header:
            key = "data.label" if name == label else "data.features"
            raise DataError(
                f"{path} line 1: no column {name!r} (found {quote(header)}); set {key} to "
                "columns of the file"
            )
    if features is not None:
        return tuple(name.strip() for name in features)
    if len(header) == 1:
        raise DataError(f"{path} line 1: no column besides the label {label!r}")
    unnamed = [number for number, name in enumerate(header, 1) if not name]
    if unnamed:
        raise DataError(
            f"{path} line 1: column {unnamed[0]} has no name; name it, or list the feature "
            "columns in data.features"
        )
    return tuple(name for name in header if name != label)


def _row_bound(size: int, lines: int, columns: int, used: Collection[int]) -> int:
    """The most data rows a file of `size` bytes and `lines` lines can hold: each row takes a
    line, and every row kept has `columns` - 1 commas and a character in each `used` field."""
    return max(0, min(lines - 1, size // (columns - 1 + len(used))))
