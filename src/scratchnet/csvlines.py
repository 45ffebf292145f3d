"""Where a CSV's defect is: its records with the line an editor shows, read with Python's `csv`
module. The fast parsers (`scratchnet.tables`) find that a file is bad; this finds where, and
maps a data row to its line (blank lines count as lines, not as rows). Before any parser runs,
`scanned` counts the lines and bounds their length."""

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
from scratchnet.params import MAX_FEATURES, MAX_SAMPLES

MAX_HEADER_CHARS = 1 << 20
"""The header is read from at most this many characters: a file of one endless line (or of
millions of names) is refused before its names are held."""
MAX_LINE_BYTES = 1 << 20
"""A line longer than this is refused before parsing, so one row's fields are bounded."""
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


def scanned(path: PathArg) -> int:
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


def check_width(path: PathArg, features: int) -> None:
    """Refuse more than MAX_FEATURES features from the header, before parsing."""
    if features > MAX_FEATURES:
        raise DataError(
            f"{path} line 1: {features:,} feature columns, more than the {MAX_FEATURES:,} allowed"
        )
