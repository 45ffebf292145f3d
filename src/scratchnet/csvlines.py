"""Where a CSV's defect is: its records with the line an editor shows, read with Python's `csv`
module. The fast parsers (`scratchnet.tables`) find that a file is bad; this finds where, and
maps a data row to its line (blank lines count as lines, not as rows)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from scratchnet.datasets import RowError
from scratchnet.errors import DataError
from scratchnet.files import PathArg


def records(path: PathArg) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank record, as an editor counts lines (a record
    spanning lines in a quoted field counts from its last line)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        for fields in reader:
            if len(fields) > 1 or (fields and fields[0].strip()):
                yield reader.line_num, fields


def header(path: PathArg) -> list[str]:
    """The column names of line 1, without surrounding spaces; each must be unique."""
    try:
        first = next(records(path), None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path} cannot be read as UTF-8 CSV: {error}") from None
    if first is None:
        raise DataError(f"{path} is empty")
    line, fields = first
    names = [name.strip() for name in fields]
    repeated = [name for name in names if names.count(name) > 1]
    if line != 1 or repeated:
        problem = f"column {repeated[0]!r} appears twice" if repeated else "must be the header"
        raise DataError(f"{path} line 1: {problem}" if repeated else f"{path}: line 1 {problem}")
    return names


def first_defect(
    path: PathArg, header: list[str], used: Sequence[int], skip: int = 0
) -> str | None:
    """The first defect from data row `skip` on, as '<path> line N: ...': a row with another
    number of fields than the header, or an empty field in a `used` column; None if none."""
    rows = records(path)
    next(rows)
    for row, (line, fields) in enumerate(rows):
        if row < skip:
            continue
        if len(fields) != len(header):
            return (
                f"{path} line {line} has {len(fields)} fields; the header (line 1) has "
                f"{len(header)}"
            )
        for index in used:
            if not fields[index].strip():
                return f"{path} line {line}: {header[index]} is empty"
    return None


def line_of_row(path: PathArg, row: int) -> int:
    """The line (as an editor counts) of data row `row` (0-based, blank lines skipped)."""
    rows = records(path)
    next(rows)
    for index, (line, _) in enumerate(rows):
        if index == row:
            return line
    raise AssertionError(f"{path} has no row {row}")


def unparsed(path: PathArg, error: BaseException) -> str:
    return f"{path} cannot be parsed: {' '.join(str(error).split()) or type(error).__name__}"


def located(path: PathArg, error: RowError) -> DataError:
    """A defect in one data row as one line naming the file and the row's line."""
    return DataError(f"{path} line {line_of_row(path, error.row)}: {error.problem}")
