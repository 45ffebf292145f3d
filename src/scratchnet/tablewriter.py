"""CSV tables out: the pipeline's own tables (a data set's features, then its 0/1 label; plot
data). Floats are written in their shortest round-trip form (`repr`), so reading
(`scratchnet.tables`) gives the same bits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from scratchnet import files
from scratchnet.datasets import Dataset
from scratchnet.errors import OutputError
from scratchnet.files import PathArg

BLOCK_VALUES = 1 << 17
"""Values formatted at a time when writing (whole rows): each value's string is a Python object
of some 60 bytes, so a block of rows as wide as 1,000 columns would hold gigabytes of them."""


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
