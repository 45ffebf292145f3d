"""CSV tables in and out: users' data sets as spreadsheets write them, and the pipeline's own.

Users' files are read with pandas' C parser: a UTF-8 BOM, quoted fields and header, CRLF and
spaces around fields are accepted, and the columns are picked by name (`data.features`,
`data.label`, `data.positive`). The pipeline's own tables (features, then a 0/1 label as the
last column) are read by NumPy's C parser while small, and pandas' when large: importing pandas
costs more than NumPy takes to parse a small file. The limits (size, rows, line length,
features) are checked before a file is parsed; pandas then parses a chunk of rows at a time into
preallocated arrays, so reading takes at most about 4 times a file's size (8 bytes for each
number kept, which takes at least 2 bytes of the file) plus a fixed amount whatever the shape:
wide rows, blank lines or many rows (figures: benchmarks/README.md). A defect is one DataError
naming the file and the line as an editor counts it: the fast parsers find that a file is bad,
then `scratchnet.csvlines` finds where; running out of memory is one DataError too.

Floats are written in their shortest round-trip form (`repr`), so reading gives the same bits.
"""

from __future__ import annotations

import contextlib
import csv
import io
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from scratchnet import csvlines, files
from scratchnet.datasets import Dataset, RowError, binary_labels, label_text, zero_one
from scratchnet.errors import DataError, OutputError, quote
from scratchnet.files import PathArg
from scratchnet.params import MAX_FEATURES, MAX_SAMPLES, DataParams

T = TypeVar("T")

MAX_TABLE_BYTES = 640 << 20
"""Tables larger than this are refused before they are read."""
MAX_LINE_BYTES = 1 << 20
"""A line longer than this is refused before parsing, so one row's fields are bounded."""
PANDAS_BYTES = 4 << 20
"""The pipeline's own tables from this size on are parsed by pandas (0.3 s to import, then
about ten times NumPy's speed)."""
CHUNK_FIELDS = 1 << 21
"""Fields pandas parses at a time: its working memory for a chunk (tokens, columns, the chunk's
numbers) stays under about 70 MiB whatever the file's shape; parsed whole it grows with the file
(ten bytes and more a field), in smaller pieces reading slows down (a thousand columns each)."""
LABEL_TEXTS = 4
"""Distinct label values told apart: two are needed, three are named when refusing more."""
BLOCK_VALUES = 1 << 17
"""Values formatted at a time when writing (whole rows): each value's string is a Python object
of some 60 bytes, so a block of rows as wide as 1,000 columns would hold gigabytes of them."""
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


# --- writing ---------------------------------------------------------------------------------


def write_table(path: PathArg, columns: Mapping[str, Any]) -> None:
    """CSV with a header; floats in shortest round-trip form, so reading gives the same bits."""
    write_tables(path, [columns])


def write_tables(path: PathArg, parts: Sequence[Mapping[str, Any]]) -> None:
    """Several tables with the same columns, one after the other, as one CSV; a scalar in a
    part stands for a column of that value."""
    names = list(parts[0])
    blocks = [_header_line(names).encode()]  # each block encoded at once: the text is held once
    try:
        for part in parts:
            columns = np.broadcast_arrays(*(np.asarray(part[name]) for name in names))
            rows = max(1, BLOCK_VALUES // len(columns))
            for start in range(0, len(columns[0]), rows):
                cells = [_cells(column[start : start + rows]) for column in columns]
                lines = map(",".join, zip(*cells, strict=True))
                blocks.append("".join(f"{line}\n" for line in lines).encode())
        payload = b"".join(blocks)
    except MemoryError:
        raise OutputError(f"cannot write {path}: not enough memory for its text") from None
    del blocks  # held once more while the file is written, not twice
    files.write_bytes(path, payload)


def _header_line(names: Sequence[str]) -> str:
    """The header, a name quoted only where CSV needs it (a comma, a quote, a line break)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(names)
    return buffer.getvalue()


def _cells(values: np.ndarray) -> Iterator[str]:
    """Each value as CSV text: `repr` of a float is the shortest string that reads back to it."""
    return map(float.__repr__ if values.dtype.kind == "f" else str, values.tolist())


def write_dataset(path: PathArg, data: Dataset) -> None:
    """Features by name, then the 0/1 label: the pipeline's own table of a data set."""
    columns = dict(zip(data.feature_names, data.x.T, strict=True))
    write_table(path, {**columns, data.label_name: data.y})


# --- reading ---------------------------------------------------------------------------------


def read_dataset(path: PathArg) -> Dataset:
    """One of the pipeline's own tables: numeric features, then a 0/1 label as the last
    column."""
    size = files.checked_size(path, MAX_TABLE_BYTES)
    lines = _scanned(path)
    header = csvlines.header(path)
    if len(header) < 2:
        raise DataError(f"{path} line 1 has {len(header)} column; need features and a label")
    features = range(len(header) - 1)
    _check_width(path, len(features))
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
    lines = _scanned(path)
    header = csvlines.header(path)
    label = config.label.strip()
    features = _feature_columns(path, header, label, config.features)
    _check_width(path, len(features))
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


def _check_width(path: PathArg, features: int) -> None:
    """Refuse more than MAX_FEATURES features from the header, before parsing."""
    if features > MAX_FEATURES:
        raise DataError(
            f"{path} line 1: {features:,} feature columns, more than the {MAX_FEATURES:,} allowed"
        )


def _scanned(path: PathArg) -> int:
    """The number of lines of `path` (ended by LF, CRLF or CR), counted before parsing; a file
    of more than MAX_SAMPLES rows or with a line longer than MAX_LINE_BYTES is refused."""
    lines = position = line_start = 0
    with Path(path).open("rb") as handle:
        while block := handle.read(MAX_LINE_BYTES):
            if block.endswith(b"\r"):
                block += handle.read(1)  # a CRLF is never split
            ends = block.count(b"\n")
            if b"\r" in block:  # a CR alone ends a line too (bytes.count is slow, find fast)
                ends += block.count(b"\r") - block.count(b"\r\n")
            if ends:  # a line within the block is shorter than the block
                first = min(end for end in (block.find(b"\n"), block.find(b"\r")) if end >= 0)
                _check_line(path, lines + 1, position + first - line_start)
                line_start = position + max(block.rfind(b"\n"), block.rfind(b"\r")) + 1
            lines += ends
            position += len(block)
    _check_line(path, lines + 1, position - line_start)
    lines += position > line_start  # a last line without its line end
    if lines - 1 > MAX_SAMPLES:
        raise DataError(f"{path} has {lines - 1:,} lines of rows, more than {MAX_SAMPLES:,}")
    return lines


def _check_line(path: PathArg, line: int, length: int) -> None:
    if length > MAX_LINE_BYTES:
        raise DataError(f"{path} line {line:,} is longer than {MAX_LINE_BYTES:,} bytes")


def _row_bound(size: int, lines: int, columns: int, used: Collection[int]) -> int:
    """The most data rows a file of `size` bytes and `lines` lines can hold: each row takes a
    line, and every row kept has `columns` - 1 commas and a character in each `used` field."""
    return max(0, min(lines - 1, size // (columns - 1 + len(used))))
