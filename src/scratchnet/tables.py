"""CSV tables in and out: users' data sets as spreadsheets write them, and the pipeline's own.

Users' files are read with pandas' C parser: a UTF-8 BOM, quoted fields and header, CRLF and
spaces around fields are accepted, and the columns are picked by name (`data.features`,
`data.label`, `data.positive`). The pipeline's own tables (features, then a 0/1 label as the
last column) are read by NumPy's C parser while small, and pandas' when large: importing pandas
costs more than NumPy takes to parse a small file. Size and row limits are checked before a
file is parsed. A defect is one DataError naming the file and the line as an editor counts it:
the fast parsers find that a file is bad, then `scratchnet.csvlines` finds where.

Floats are written in their shortest round-trip form (`repr`), so reading gives the same bits.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import csvlines, files
from scratchnet.datasets import Dataset, RowError, binary_labels
from scratchnet.errors import DataError, quote
from scratchnet.files import PathArg
from scratchnet.params import MAX_SAMPLES, DataParams

MAX_TABLE_BYTES = 640 << 20
"""Tables larger than this are refused before they are read."""
PANDAS_BYTES = 4 << 20
"""The pipeline's own tables from this size on are parsed by pandas (0.3 s to import, then
about ten times NumPy's speed)."""
BLOCK_ROWS = 1 << 16
"""Rows formatted at a time when writing: bounded memory beyond the text itself."""
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
    text = [_header_line(names)]
    for part in parts:
        columns = np.broadcast_arrays(*(np.asarray(part[name]) for name in names))
        for start in range(0, len(columns[0]), BLOCK_ROWS):
            cells = [_cells(column[start : start + BLOCK_ROWS]) for column in columns]
            text.append("".join(f"{line}\n" for line in map(",".join, zip(*cells, strict=True))))
    files.write_bytes(path, "".join(text).encode())


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
    header = csvlines.header(path)
    if len(header) < 2:
        raise DataError(f"{path} line 1 has {len(header)} column; need features and a label")
    _check_rows(path)
    values = _loaded(path) if size < PANDAS_BYTES else None
    if values is None or values.shape[1] != len(header):  # pandas reads it or finds the defect
        frame = _frame(path, header)
        _check_complete(path, frame, header, range(len(header)))
        values = np.column_stack([_numeric(path, frame[name], name) for name in header])
    return _dataset(path, values[:, :-1], values[:, -1], tuple(header[:-1]), header[-1])


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
    import pandas as pd

    files.checked_size(path, MAX_TABLE_BYTES)
    header = csvlines.header(path)
    label = config.label.strip()
    features = _feature_columns(path, header, label, config.features)
    _check_rows(path)
    frame = _frame(path, header)
    _check_complete(path, frame, header, [header.index(name) for name in (*features, label)])
    x = np.empty((len(frame), len(features)), np.float64)
    for index, name in enumerate(features):
        x[:, index] = _numeric(path, frame[name], name)
    codes, values = pd.factorize(frame[label])  # label_text strips each distinct value
    try:
        y = binary_labels(codes, list(values), config.positive, label)
    except RowError as error:
        raise csvlines.located(path, error) from None
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    return _dataset(path, x, y, features, label)


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


def _frame(path: PathArg, header: list[str]) -> Any:
    """The whole table as a pandas DataFrame with the stripped `header` as its column names;
    a ragged row or bytes that are not UTF-8 name their line."""
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a row longer than the header only warns
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)  # mixed chunks: see above
            frame = pd.read_csv(path, **PANDAS_OPTIONS)
    except (ValueError, UnicodeDecodeError, Warning) as error:
        found = csvlines.first_defect(path, header, ())
        raise DataError(found or csvlines.unparsed(path, error)) from None
    if frame.empty:
        raise DataError(f"{path} has a header but no rows")
    frame.columns = header
    return frame


def _check_complete(path: PathArg, frame: Any, header: list[str], used: Sequence[int]) -> None:
    """Refuse an empty field in the `used` columns, or a row short of fields (its last column
    is then empty), naming its line."""
    columns = sorted({*used, len(header) - 1})
    missing = frame.iloc[:, columns].isna().to_numpy().any(axis=1)
    if missing.any():
        row = int(np.argmax(missing))
        found = csvlines.first_defect(path, header, used, skip=row)
        raise DataError(found or f"{path}: row {row + 1} has an empty field")


def _dataset(
    path: PathArg, x: np.ndarray, y: np.ndarray, features: tuple[str, ...], label: str
) -> Dataset:
    """The Dataset, a failed check on one row turned into the file and line."""
    try:
        return Dataset(x, y, features, label)
    except RowError as error:
        raise csvlines.located(path, error) from None
    except DataError as error:
        raise DataError(f"{path}: {error}") from None


def _numeric(path: PathArg, column: Any, name: str) -> np.ndarray:
    """A column as float64 ("nan" and "inf" included: the Dataset checks ranges); its first
    field that is not a number is a DataError naming its line."""
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
    raise csvlines.located(path, RowError(row, f"{name} = {quote(text)} is not a number"))


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


def _check_rows(path: PathArg) -> None:
    """Refuse a file of more than MAX_SAMPLES rows from its line count, before parsing it."""
    lines, last = 0, b"\n"
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    if lines - 1 > MAX_SAMPLES:
        raise DataError(f"{path} has {lines - 1:,} lines of rows, more than {MAX_SAMPLES:,}")
