"""Where a CSV's defect is: its records with the line an editor shows, read with Python's `csv`
module. The fast parsers (`scratchnet.tables`) find that a file is bad; this finds where, and
maps a data row to its line (blank lines count as lines, not as rows)."""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from scratchnet.datasets import FieldError, RowError
from scratchnet.errors import DataError, quote
from scratchnet.files import PathArg

MAX_HEADER_CHARS = 1 << 20
"""The header is read from at most this many characters: a file of one endless line (or of
millions of names) is refused before its names are held."""
MAX_FIELD_CHARS = 1 << 20
"""The longest field the `csv` module reads (its default, 128 Ki characters, is shorter than the
lines the readers accept); set process-wide, as the module allows no other way."""
csv.field_size_limit(MAX_FIELD_CHARS)


def records(path: PathArg) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank record, as an editor counts lines (a record
    spanning lines in a quoted field counts from its last line); a field longer than
    MAX_FIELD_CHARS (quoted across lines) is a DataError naming its line."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        try:
            for fields in reader:
                if len(fields) > 1 or (fields and fields[0].strip()):
                    yield reader.line_num, fields
        except csv.Error as error:
            raise DataError(f"{path} line {reader.line_num}: {error}") from None
        except UnicodeDecodeError as error:
            raise DataError(
                f"{path} line {_undecodable_line(path)} cannot be read as UTF-8: {error.reason}"
            ) from None


def _undecodable_line(path: PathArg) -> int:
    """The line (counting LF line ends) of the first byte of `path` that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return lines + block.count(b"\n", 0, max(0, error.start)) + 1
            lines += block.count(b"\n")
    raise AssertionError(f"{path} decodes as UTF-8")


def header(path: PathArg) -> list[str]:
    """The column names of line 1, without surrounding spaces; each must be unique."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            first = _first_line(path, handle)
            fields = next(csv.reader(_bounded(path, first, handle), skipinitialspace=True), [])
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path} cannot be read as UTF-8 CSV: {error}") from None
    if not (len(fields) > 1 or (fields and fields[0].strip())):
        raise DataError(f"{path}: line 1 must be the header")
    names = [name.strip() for name in fields]
    seen: dict[str, int] = {}
    for number, name in enumerate(names, 1):
        if name in seen:
            raise DataError(
                f"{path} line 1: column {name!r} appears twice (columns {seen[name]} and "
                f"{number}); rename one"
            )
        seen[name] = number
    return names


def _first_line(path: PathArg, handle: TextIO) -> str:
    """Line 1 of `handle`; a file of blank lines only is empty, one that starts with a blank
    line has no header."""
    first = handle.readline(MAX_HEADER_CHARS + 1)
    if first.strip():
        return first
    if any(line.strip() for line in handle):
        raise DataError(f"{path}: line 1 must be the header")
    raise DataError(f"{path} is empty")


def _bounded(path: PathArg, first: str, handle: TextIO) -> Iterator[str]:
    """`first`, then the following lines of `handle` while a record (the header) may still
    need them, refused once they exceed MAX_HEADER_CHARS."""
    total = 0
    for line in itertools.chain([first], iter(lambda: handle.readline(MAX_HEADER_CHARS + 1), "")):
        total += len(line)
        if total > MAX_HEADER_CHARS:
            raise DataError(
                f"{path}: the header (line 1) is longer than {MAX_HEADER_CHARS:,} characters"
            )
        yield line


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


def record_of_row(path: PathArg, row: int) -> tuple[int, list[str]]:
    """The line (as an editor counts) and fields of data row `row` (0-based, blank lines
    skipped)."""
    rows = records(path)
    next(rows)
    for index, record in enumerate(rows):
        if index == row:
            return record
    raise AssertionError(f"{path} has no row {row}")


def unparsed(path: PathArg, error: BaseException) -> str:
    return f"{path} cannot be parsed: {' '.join(str(error).split()) or type(error).__name__}"


def located(path: PathArg, error: RowError, columns: Sequence[int] = ()) -> DataError:
    """A defect in one data row as one line naming the file and the row's line; a bad value
    of feature i (a FieldError) quoted as the file writes it, from column `columns[i]`."""
    line, fields = record_of_row(path, error.row)
    problem = error.problem
    if isinstance(error, FieldError) and columns:
        problem = error.about(quote(fields[columns[error.column]].strip()))
    return DataError(f"{path} line {line}: {problem}")
