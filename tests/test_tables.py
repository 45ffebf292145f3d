"""Tests of scratchnet.tables: the CSV writer, the pipeline's own tables and users' CSV files."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scratchnet import csvlines, datasets, tables, tablewriter
from scratchnet.datasets import Dataset
from scratchnet.errors import DataError, OutputError
from scratchnet.params import MAX_FEATURES, DataParams

EXAMPLE_CSV = Path(__file__).resolve().parents[1] / "data" / "own" / "example.csv"
PARSERS = ("loadtxt", "pandas")
"""The two parsers of the pipeline's own tables: NumPy's below PANDAS_BYTES, pandas' above."""


def written(path: Path, content: str | bytes | None) -> Path:
    """`path` holding `content` (None: no file)."""
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def refuse(*args: object, **kwargs: object) -> None:
    """Stands in for a parser that must not be called."""
    raise AssertionError("a parser was called")


def read_via(parser: str, path: Path) -> Dataset:
    """`read_dataset(path)` as a small table is read (NumPy first, pandas for what NumPy
    refuses), or as a large one (pandas only, NumPy made to fail if it is called)."""
    with pytest.MonkeyPatch.context() as patch:
        if parser == "pandas":
            patch.setattr(tables, "PANDAS_BYTES", 0)
            patch.setattr(np, "loadtxt", refuse)
        return tables.read_dataset(path)


def test_a_small_clean_table_is_read_without_pandas(tmp_path, monkeypatch):
    """NumPy's parser reads a small, clean table alone: pandas (0.3 s to import) is not used."""
    monkeypatch.setattr(pd, "read_csv", refuse)
    path = written(tmp_path / "d.csv", "x1,x2,y\n1.5,2,0\n3,-4e-3,1\n")
    assert tables.read_dataset(path).x.tolist() == [[1.5, 2.0], [3.0, -0.004]]


def own_params(**choices: Any) -> DataParams:
    """A data section with `choices` (features, label, positive), the keys read_own_dataset
    reads (it is given the file, whatever data.kind says)."""
    return DataParams("flower", 400, 0.2, 0, **choices)


def read_own(path: Path, **choices: Any) -> Dataset:
    """`read_own_dataset(path)` with the data section `choices` give."""
    return tables.read_own_dataset(path, own_params(**choices))


READERS: dict[str, Callable[[Path], Dataset]] = {
    "loadtxt": lambda path: read_via("loadtxt", path),
    "pandas": lambda path: read_via("pandas", path),
    "own": read_own,
}
"""Every way a table is read: the pipeline's own through either parser, and a user's."""


def error_of(read: Callable[[Path], object], path: Path) -> str:
    """The message of the DataError that `read(path)` raises."""
    with pytest.raises(DataError) as caught:
        read(path)
    return str(caught.value)


def outcome(read: Callable[[Path], Dataset], path: Path) -> tuple:
    """What reading gives: the Dataset's bytes, names and labels, or the error message."""
    try:
        data = read(path)
    except DataError as error:
        return ("error", str(error))
    return ("read", data.x.tobytes(), data.y.tolist(), data.feature_names, data.label_name)


def assert_same(first: Dataset, second: Dataset) -> None:
    """The two Datasets hold the same bits, labels and names."""
    assert first.x.shape == second.x.shape
    assert first.x.tobytes() == second.x.tobytes()
    assert first.y.dtype == second.y.dtype == np.int64
    assert first.y.tolist() == second.y.tolist()
    assert (first.feature_names, first.label_name) == (second.feature_names, second.label_name)


# --- writing -------------------------------------------------------------------------------------


def old_cells(values: np.ndarray) -> list[str]:
    """scratchnet.io._cells before the split, copied as the oracle of the writer's bytes."""
    return [repr(item) if isinstance(item, float) else str(item) for item in values.tolist()]


def old_write_tables(parts: list[Mapping[str, Any]]) -> bytes:
    """The bytes scratchnet.io.write_tables wrote before the split (copied, minus the write)."""
    names = list(parts[0])
    lines = [",".join(names)]
    for part in parts:
        columns = np.broadcast_arrays(*(np.asarray(part[name]) for name in names))
        cells = [old_cells(column) for column in columns]
        lines.extend(map(",".join, zip(*cells, strict=True)))
    return ("\n".join(lines) + "\n").encode()


SPECIAL_FLOATS = np.array([-0.0, 5e-324, 1 / 3, 1e15, -1e-7, 0.1 + 0.2, 2.0**53 + 2, 1e22])


def odd_floats(n: int, seed: int, features: bool = False) -> np.ndarray:
    """`n` floats of every magnitude (up to 1e14 for `features`), the special ones first."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=n) * 10.0 ** rng.integers(-300, 14 if features else 300, size=n)
    specials = SPECIAL_FLOATS[np.abs(SPECIAL_FLOATS) <= 1e15] if features else SPECIAL_FLOATS
    values[: min(n, specials.size)] = specials[:n]
    return values


OLD_TABLES = {
    "dataset": [{"x1": odd_floats(10, 1), "x2": odd_floats(10, 2), "y": np.arange(10) % 2}],
    "confusion": [{"actual": [0, 0, 1, 1], "predicted": [0, 1, 0, 1], "count": [7, 1, 2, 9]}],
    "roc": [
        {"model": "nn", "point": range(4), "fpr": [0.0, 0.25, 0.5, 1.0], "tpr": odd_floats(4, 3)},
        {"model": "logreg", "point": range(0), "fpr": np.zeros(0), "tpr": np.zeros(0)},
        {"model": "logreg", "point": range(3), "fpr": [0.0, 1 / 3, 1.0], "tpr": [0, 0.5, 1.0]},
    ],
    "learning-curve": [{"epoch": np.arange(1, 11) * 7, "cost": odd_floats(10, 4)}],
    "other-dtypes": [
        {
            "flag": np.arange(10) % 3 == 0,
            "single": (np.arange(10) / 3 - 1.5).astype(np.float32),
            "scalar": 0.1,
            "nan": np.nan,
            "text": "x",
        }
    ],
}


@pytest.mark.parametrize("block_values", [3, 8, tablewriter.BLOCK_VALUES])
@pytest.mark.parametrize("table", OLD_TABLES)
def test_writer_bytes_equal_the_old_writers(tmp_path, monkeypatch, table, block_values):
    """Every table the stages write has the old writer's bytes, however rows fall into blocks."""
    monkeypatch.setattr(tablewriter, "BLOCK_VALUES", block_values)
    tablewriter.write_tables(tmp_path / "new.csv", OLD_TABLES[table])
    assert (tmp_path / "new.csv").read_bytes() == old_write_tables(OLD_TABLES[table])


def test_write_dataset_bytes_equal_the_old_writers(tmp_path):
    """A generated data set is written byte for byte as the old write_dataset wrote it."""
    data = datasets.generate(DataParams("flower", 400, 0.2, 69))
    tablewriter.write_dataset(tmp_path / "data.csv", data)
    old = old_write_tables([{"x1": data.x[:, 0], "x2": data.x[:, 1], "y": data.y}])
    assert (tmp_path / "data.csv").read_bytes() == old


def test_running_out_of_memory_while_writing_is_one_output_error(tmp_path, monkeypatch):
    """A MemoryError while formatting a table is one OutputError naming the path; nothing is
    written."""

    def exhausted(values: np.ndarray) -> None:
        raise MemoryError

    monkeypatch.setattr(tablewriter, "_cells", exhausted)
    with pytest.raises(OutputError, match=r"cannot write .*t\.csv: not enough memory"):
        tablewriter.write_table(tmp_path / "t.csv", {"a": [1.0]})
    assert list(tmp_path.iterdir()) == []


def test_written_text_is_the_repr_of_each_float(tmp_path):
    """Features are written as repr of each float, the label as an integer, names as given."""
    x = np.array([[-0.0, 5e-324, 1 / 3], [1e15, -1e-7, 0.1 + 0.2]])
    tablewriter.write_dataset(
        tmp_path / "d.csv", Dataset(x, np.array([1, 0]), ("a", "b c", "Größe"))
    )
    expected = "a,b c,Größe,y\n-0.0,5e-324,0.3333333333333333,1\n"
    expected += "1000000000000000.0,-1e-07,0.30000000000000004,0\n"
    assert (tmp_path / "d.csv").read_bytes() == expected.encode()


def test_written_rows_are_repr_and_str_across_blocks(tmp_path, monkeypatch):
    """Rows across several write blocks are repr of each float then the label, in order."""
    monkeypatch.setattr(tablewriter, "BLOCK_VALUES", 7 * 4)
    x = np.column_stack([odd_floats(20, seed, features=True) for seed in (6, 7, 8)])
    y = np.arange(20) % 2
    tablewriter.write_dataset(tmp_path / "d.csv", Dataset(x, y, ("p", "q", "r"), "label"))
    rows = [
        ",".join(map(repr, row)) + f",{label}\n"
        for row, label in zip(x.tolist(), y.tolist(), strict=True)
    ]
    assert (tmp_path / "d.csv").read_text(encoding="utf-8") == "p,q,r,label\n" + "".join(rows)


NAMES_NEEDING_QUOTES = ("a,b", 'say "hi"', "plain", "tumour size (mm)")
QUOTED_HEADER = '"a,b","say ""hi""",plain,tumour size (mm),"y, ""class"""\n'


def test_names_with_commas_and_quotes_are_quoted_and_read_back(tmp_path):
    """Names holding commas or quotes are CSV-quoted and every reader gives them back."""
    path = tmp_path / "d.csv"
    x = np.arange(8.0).reshape(2, 4)
    tablewriter.write_dataset(
        path, Dataset(x, np.array([0, 1]), NAMES_NEEDING_QUOTES, 'y, "class"')
    )
    assert path.read_text().splitlines(keepends=True)[0] == QUOTED_HEADER
    for parser in PARSERS:
        back = read_via(parser, path)
        assert (back.feature_names, back.label_name) == (NAMES_NEEDING_QUOTES, 'y, "class"')
    own = read_own(path, label='y, "class"')
    assert own.feature_names == NAMES_NEEDING_QUOTES


# --- the pipeline's own tables: round trips ------------------------------------------------------

NAME = st.text(st.sampled_from(list('ab xyz09,"()#_-.;ßöé\t')), min_size=1, max_size=6).filter(
    lambda name: name == name.strip()
)
"""Column names with spaces inside, commas, quotes and non-ASCII letters (none around)."""


@st.composite
def own_datasets(draw: st.DrawFn) -> Dataset:
    """A Dataset of 1 to 4 named features within ±1e15 and both labels."""
    d, n = draw(st.integers(1, 4)), draw(st.integers(2, 12))
    x = draw(arrays(np.float64, (n, d), elements=st.floats(-1e15, 1e15)))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda y: 0 < y.sum() < n))
    names = draw(st.lists(NAME, min_size=d + 1, max_size=d + 1, unique=True))
    return Dataset(x, y, tuple(names[:-1]), names[-1])


@settings(max_examples=60, deadline=None)
@given(own_datasets())
@example(Dataset(np.array([[-0.0], [5e-324], [1e15], [-1e15]]), np.array([0, 1, 1, 0]), ("f",)))
@example(Dataset(np.array([[2.2250738585072014e-308, -1.5e-310]] * 2), np.array([1, 0])))
def test_own_table_round_trips_bit_for_bit_through_both_parsers(data):
    """write_dataset then read_dataset gives the same bits, labels and names via both parsers."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        tablewriter.write_dataset(path, data)
        for parser in PARSERS:
            assert_same(read_via(parser, path), data)


def test_dataset_of_every_magnitude_round_trips_bit_for_bit(tmp_path):
    """Features from 1e-300 to 1e14 in size read back with the same bits, labels as int64."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 2)) * 10.0 ** rng.integers(-300, 14, size=(40, 2))
    x[:3, 0] = [-0.0, 5e-324, 1 / 3]
    data = Dataset(x, np.repeat(np.array([0, 1]), 20))
    path = tmp_path / "data.csv"
    tablewriter.write_dataset(path, data)
    assert path.read_text().splitlines()[0] == "x1,x2,y"
    for parser in PARSERS:
        assert_same(read_via(parser, path), data)


def test_a_table_of_pandas_bytes_or_more_is_read_by_pandas_alike(tmp_path, monkeypatch):
    """A table of PANDAS_BYTES or more is parsed by pandas into the Dataset NumPy gives."""
    rng = np.random.default_rng(9)
    n = 80_000
    data = Dataset(rng.normal(size=(n, 3)), np.arange(n) % 2, ("a", "b", "c"), "label")
    path = tmp_path / "big.csv"
    tablewriter.write_dataset(path, data)
    assert path.stat().st_size >= tables.PANDAS_BYTES
    with monkeypatch.context() as patch:
        patch.setattr(np, "loadtxt", refuse)
        by_pandas = tables.read_dataset(path)
    with monkeypatch.context() as patch:
        patch.setattr(tables, "PANDAS_BYTES", path.stat().st_size + 1)
        patch.setattr(pd, "read_csv", refuse)
        by_loadtxt = tables.read_dataset(path)
    assert_same(by_pandas, data)
    assert_same(by_loadtxt, data)


def test_pipeline_table_has_any_names_and_the_label_last(tmp_path):
    """read_dataset takes every column but the last as a feature, whatever the names."""
    path = written(tmp_path / "d.csv", "c,a,b\n1.5,2.5,0\n3.5,4.5,1\n")
    for parser in PARSERS:
        data = read_via(parser, path)
        assert (data.feature_names, data.label_name) == (("c", "a"), "b")
        assert data.x.tolist() == [[1.5, 2.5], [3.5, 4.5]]


# --- today's files -------------------------------------------------------------------------------


def parsed_by_hand(path: Path) -> tuple[list[list[float]], list[int]]:
    """The features and labels of an x1,x2,y file, parsed with `csv` and `float`."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["x1", "x2", "y"]
    return [[float(a), float(b)] for a, b, _ in rows[1:]], [int(y) for _, _, y in rows[1:]]


@pytest.mark.parametrize("reader", READERS)
def test_the_example_csv_reads_as_before(reader):
    """data/own/example.csv gives features x1, x2 and label y, as parsed by hand."""
    data = READERS[reader](EXAMPLE_CSV)
    x, y = parsed_by_hand(EXAMPLE_CSV)
    assert (data.feature_names, data.label_name) == (("x1", "x2"), "y")
    assert data.x.tolist() == x
    assert data.y.tolist() == y


@pytest.mark.parametrize("reader", READERS)
def test_a_table_the_old_writer_wrote_reads_back_bit_for_bit(tmp_path, reader):
    """An x1,x2,y file as the pipeline wrote it before the split reads back unchanged."""
    data = datasets.generate(DataParams("moons", 101, 0.3, 4))
    path = tmp_path / "data.csv"
    path.write_bytes(old_write_tables([{"x1": data.x[:, 0], "x2": data.x[:, 1], "y": data.y}]))
    assert_same(READERS[reader](path), data)


# --- users' files: spreadsheet exports -----------------------------------------------------------

SPREADSHEET_NAMES = ("tumour size (mm)", "Größe", *(f"feature {i}" for i in range(3, 31)))
CELL_STYLES = (" {} ", '"{}"', "{}", ' "{}" ', "{}  ")
"""How a spreadsheet may write a field: spaces around it, quoted, or both."""


def test_a_spreadsheet_export_reads_with_its_names_labels_and_bits(tmp_path):
    """A spreadsheet's CSV export gives its column names, 0/1 labels and the exact floats."""
    rng = np.random.default_rng(30)
    x = rng.normal(size=(12, 30)) * 10.0 ** rng.integers(-8, 10, size=(12, 30))
    x[0, :3] = [-0.0, 5e-324, 1e15]
    diagnoses = ["malignant", "benign", "benign"] * 4
    names = [*SPREADSHEET_NAMES[:2], "diagnosis", *SPREADSHEET_NAMES[2:]]
    lines = [", ".join(f'"{name}"' for name in names)]
    for i, (row, diagnosis) in enumerate(zip(x.tolist(), diagnoses, strict=True)):
        cells = [CELL_STYLES[(i + j) % 5].format(repr(value)) for j, value in enumerate(row)]
        cells.insert(2, CELL_STYLES[i % 5].format(diagnosis))
        lines.append(",".join(cells))
    lines.insert(7, "")
    path = written(tmp_path / "export.csv", "\ufeff" + "\r\n".join(lines) + "\r\n")
    data = read_own(path, label="diagnosis", positive="malignant")
    assert (data.feature_names, data.label_name) == (SPREADSHEET_NAMES, "diagnosis")
    assert data.y.tolist() == [1, 0, 0] * 4
    assert data.x.tobytes() == x.tobytes()


def labelled(path: Path, labels: list[str]) -> Path:
    """A CSV of one feature `x` (row numbers) and the label `y` holding `labels`."""
    rows = "".join(f"{number},{label}\n" for number, label in enumerate(labels))
    return written(path, f"x,y\n{rows}")


LABELS = [
    (["0", "1", "1", "0"], None, [0, 1, 1, 0]),
    (["0.0", "1.0", "1", "0"], None, [0, 1, 1, 0]),
    (["true", "false", "false"], None, [1, 0, 0]),
    (["TRUE", "False", "tRuE", "fAlSe"], None, [1, 0, 1, 0]),
    (["yes", "no", "no"], "yes", [1, 0, 0]),
    (["yes", "no", "no"], "no", [0, 1, 1]),
    (["malignant", "benign ", " benign"], "malignant", [1, 0, 0]),
    (["1", "2", "2"], 2, [0, 1, 1]),
    (["1", "2", "2"], "2", [0, 1, 1]),
    (["0", "1", "1"], 0, [1, 0, 0]),
    (["0", "1", "1"], 1.0, [0, 1, 1]),
    (["true", "false", "false"], False, [0, 1, 1]),
]


@pytest.mark.parametrize(("labels", "positive", "expected"), LABELS)
def test_label_values_become_0_and_1(tmp_path, labels, positive, expected):
    """Labels 0/1 and true/false need no data.positive; other values match data.positive."""
    data = read_own(labelled(tmp_path / "d.csv", labels), positive=positive)
    assert data.y.tolist() == expected


SET_POSITIVE = "set data.positive to the one that is class 1"
REFUSED_LABELS = [
    (["yes", "no"], None, f": label y has values 'yes' and 'no': {SET_POSITIVE}"),
    (["1", "2"], None, f": label y has values '1' and '2': {SET_POSITIVE}"),
    (["a", "a", "a"], None, ": label y has one value, 'a': need two classes"),
    (["a", "b"], "c", ": data.positive = 'c' is not a value of label y ('a' and 'b')"),
    (["true", "false"], 1, ": data.positive = 1 is not a value of label y ('true' and 'false')"),
]


@pytest.mark.parametrize(("labels", "positive", "problem"), REFUSED_LABELS)
def test_labels_without_a_clear_class_one_are_refused(tmp_path, labels, positive, problem):
    """Labels without a clear class 1 (no default, one value, unknown positive) are refused."""
    path = labelled(tmp_path / "d.csv", labels)
    assert error_of(lambda p: read_own(p, positive=positive), path) == f"{path}{problem}"


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("x,y\n1,a\n2,b\n\n3,a\n\n4,c\n5,d\n", 7, "('a', 'b', 'c', ...)"),
        ("y,x\n0,1\n1,2\n\n\n2,3\n", 6, "('0', '1', '2')"),
        ('x,y\n1,a\n2,"b\n"\n3,c\n', 5, "('a', 'b', 'c')"),
    ],
    ids=["words", "numbers-label-first", "after-a-quoted-line-break"],
)
def test_a_third_label_value_is_refused_at_its_line(tmp_path, text, line, shown):
    """A third label value is refused, naming the values and the line of its first row."""
    path = written(tmp_path / "d.csv", text)
    assert error_of(read_own, path) == (
        f"{path} line {line}: label y has more than two values {shown}; a label must have two"
    )


# --- users' files: choosing columns --------------------------------------------------------------


def test_features_none_takes_every_column_but_the_label_in_file_order(tmp_path):
    """Without data.features every column but the label is a feature, in the file's order."""
    path = written(tmp_path / "d.csv", "b,class,a\n1,0,2\n3,1,4\n")
    data = read_own(path, label="class")
    assert (data.feature_names, data.x.tolist()) == (("b", "a"), [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("text", "features", "expected"),
    [
        ("a,b,c,y\n1,2,3,0\n4,5,6,1\n", ("c", "a"), [[3.0, 1.0], [6.0, 4.0]]),
        ("y,note,x2,x1\n0,a,2.5,1.5\n1,b,4.5,3.5\n", ("x1", "x2"), [[1.5, 2.5], [3.5, 4.5]]),
        ("a,,y\n1,2,0\n4,5,1\n", ("a",), [[1.0], [4.0]]),
    ],
    ids=["reordered", "text-column-left-out", "unnamed-column-left-out"],
)
def test_data_features_picks_and_orders_columns(tmp_path, text, features, expected):
    """data.features picks the feature columns and their order; others are not parsed."""
    data = read_own(written(tmp_path / "d.csv", text), features=features)
    assert (data.feature_names, data.x.tolist()) == (features, expected)


TWICE = "appears twice (columns {} and {}); rename one"
COLUMN_ERRORS = [
    (
        "a,b,c,y\n1,2,3,0\n",
        {"features": ("c", "d")},
        " line 1: no column 'd' (found ['a', 'b', 'c', 'y']); set data.features to columns of "
        "the file",
    ),
    (
        "x1,x2\n1,2\n3,4\n",
        {},
        " line 1: no column 'y' (found ['x1', 'x2']); set data.label to columns of the file",
    ),
    (
        "a,,y\n1,2,0\n4,5,1\n",
        {},
        " line 1: column 2 has no name; name it, or list the feature columns in data.features",
    ),
    ("a,b,a,y\n1,2,3,0\n4,5,6,1\n", {}, f" line 1: column 'a' {TWICE.format(1, 3)}"),
    (
        '"a", a ,y\n1,2,0\n4,5,1\n',
        {"features": ("a",)},
        f" line 1: column 'a' {TWICE.format(1, 2)}",
    ),
    ("x1,x2,y,x1\n1,2,0,5\n", {"features": ("x1",)}, f" line 1: column 'x1' {TWICE.format(1, 4)}"),
]


@pytest.mark.parametrize(
    ("text", "choices", "problem"),
    COLUMN_ERRORS,
    ids=[
        "missing-feature",
        "missing-label",
        "unnamed",
        "duplicate",
        "duplicate-after-spaces",
        "duplicate-last-picked-first",
    ],
)
def test_columns_that_cannot_be_picked_are_refused(tmp_path, text, choices, problem):
    """A missing, unnamed or repeated column is refused on line 1, showing what was found."""
    path = written(tmp_path / "d.csv", text)
    assert error_of(lambda p: read_own(p, **choices), path) == f"{path}{problem}"


@pytest.mark.parametrize("parser", PARSERS)
def test_duplicate_names_in_a_pipeline_table_are_refused(tmp_path, parser):
    """The pipeline's own table with a name used twice is refused on line 1."""
    path = written(tmp_path / "d.csv", "x1,x1,y\n1,2,0\n3,4,1\n")
    problem = f"{path} line 1: column 'x1' {TWICE.format(1, 2)}"
    assert error_of(lambda p: read_via(parser, p), path) == problem


# --- defects and their lines ---------------------------------------------------------------------

OUTSIDE = "is outside the accepted range: a finite number within ±1e+15"
DEFECTS = [
    ("too-many-fields", "7,8,1,1", "line 7 has 4 fields; the header (line 1) has 3"),
    ("too-few-fields", "7,8", "line 7 has 2 fields; the header (line 1) has 3"),
    ("empty-feature", "7,,1", "line 7: x2 is empty"),
    ("blank-feature", "7,   ,1", "line 7: x2 is empty"),
    ("empty-label", "7,8,", "line 7: y is empty"),
    ("NA", "NA,8,1", "line 7: x1 = 'NA' is not a number"),
    ("digit-separator", "1_000,8,1", "line 7: x1 = '1_000' is not a number"),
    ("text", "7, abc,1", "line 7: x2 = 'abc' is not a number"),
    ("inf", "7,inf,1", f"line 7: x2 = 'inf' {OUTSIDE}"),
    ("minus-inf", "-inf,8,1", f"line 7: x1 = '-inf' {OUTSIDE}"),
    ("over-1e15", "7,-1.0000000000000002e15,1", f"line 7: x2 = '-1.0000000000000002e15' {OUTSIDE}"),
    ("overflow-1e400", "7, 1e400 ,1", f"line 7: x2 = '1e400' {OUTSIDE}"),
    ("nan", "nan,8,1", "line 7: x1 = ..."),  # the wording is not pinned: not a number, or outside
]


def defect_cases() -> list:
    """(reader, row, problem) for every reader and defect, the known failures marked."""
    cases = []
    for name, row, problem in DEFECTS:
        for reader in READERS:
            cases.append(pytest.param(reader, row, problem, id=f"{reader}-{name}"))
    return cases


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize(("reader", "row", "problem"), defect_cases())
def test_a_defective_row_is_reported_at_its_line(tmp_path, reader, row, problem, newline):
    """A defective row is one DataError at the line an editor shows, blank lines counted."""
    lines = ["x1,x2,y", "1,2,0", "", "", "3,4,1", "", row, "5,6,0"]
    path = written(tmp_path / "d.csv", newline.join(lines) + newline)
    message = error_of(READERS[reader], path)
    if problem.endswith(" ..."):
        assert message.startswith(f"{path} {problem.removesuffix('...')}")
    else:
        assert message == f"{path} {problem}"


PIPELINE_LABEL_DEFECTS = [
    ("7,8,2", "line 7: label y = 2.0; labels must be 0 or 1"),
    ("7,8,0.5", "line 7: label y = 0.5; labels must be 0 or 1"),
    ("7,8,zero", "line 7: y = 'zero' is not a number"),
    ("7,8,true", "line 7: y = 'true' is not a number"),
]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(("row", "problem"), PIPELINE_LABEL_DEFECTS)
def test_a_pipeline_label_other_than_0_or_1_is_reported_at_its_line(tmp_path, parser, row, problem):
    """A label other than the number 0 or 1 in a pipeline table is refused at its line."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1,2,0\n\n3,4,1\n\n\n" + row + "\n")
    assert error_of(lambda p: read_via(parser, p), path) == f"{path} {problem}"


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        ("a,b,y", "1,2,benign\n3,,malignant\n"),
        ("y,a,b", "benign,1,2\nmalignant,3,\n"),
        ("a,y,b", "1,benign,2\n3,malignant,\n"),
    ],
    ids=["label-last", "label-first", "label-between"],
)
def test_an_empty_feature_is_reported_as_empty_wherever_the_label_is(tmp_path, header, rows):
    """An empty feature is reported as empty wherever the string label column stands."""
    path = written(tmp_path / "d.csv", f"{header}\n{rows}")
    message = error_of(lambda p: read_own(p, positive="malignant"), path)
    assert message == f"{path} line 3: b is empty"


def test_a_defect_after_a_field_of_200000_characters_is_found_at_its_line(tmp_path):
    """A long text field (longer than the `csv` module's default limit) does not stop the
    search for a later defect's line."""
    path = written(tmp_path / "d.csv", f"x,note,y\n1,{'a' * 200_000},0\n2,b,1\n3,c,\n")
    assert error_of(lambda p: read_own(p, features=("x",)), path) == f"{path} line 4: y is empty"


@pytest.mark.parametrize("reader", READERS)
def test_bytes_not_utf8_far_into_a_file_are_one_error_naming_their_line(tmp_path, reader):
    """A byte that is not UTF-8 beyond the first block decoded is one DataError at its line."""
    path = written(tmp_path / "d.csv", b"x1,x2,y\n" + b"1,2,0\n3,4,1\n" * 5000 + b"\xff,2,0\n")
    assert error_of(READERS[reader], path) == (
        f"{path} line 10002 cannot be read as UTF-8: invalid start byte"
    )


def test_a_field_longer_than_the_csv_limit_is_one_error(tmp_path):
    """A quoted field longer than the `csv` module's limit is one DataError naming its line."""
    path = written(tmp_path / "d.csv", 'x,y\n1,0\n"' + "a\n" * 40 + '",1\n')
    limit = csv.field_size_limit(50)
    try:
        with pytest.raises(DataError, match=r"d\.csv line \d+: field larger than field limit"):
            list(csvlines.records(path))
    finally:
        csv.field_size_limit(limit)


def test_a_quoted_line_break_counts_as_editor_lines(tmp_path):
    """A row after a quoted field spanning two lines is reported at the line an editor shows."""
    path = written(tmp_path / "d.csv", 'a,note,y\n1,"two\nlines",0\n\n2,x,1\nabc,z,0\n')
    assert error_of(lambda p: read_own(p, features=("a",)), path) == (
        f"{path} line 6: a = 'abc' is not a number"
    )


@pytest.mark.parametrize("reader", READERS)
def test_features_at_plus_and_minus_1e15_are_accepted(tmp_path, reader):
    """±1e15, the bounds of the accepted range, are features like any other."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1e15,-1e15,0\n-1000000000000000.0,0,1\n")
    assert READERS[reader](path).x.tolist() == [[1e15, -1e15], [-1e15, 0.0]]


FILE_DEFECTS = [
    ("empty", "", " is empty"),
    ("blank-lines-only", "\n\n\n", " is empty"),
    ("header-only", "x1,x2,y\n", " has a header but no rows"),
    ("header-and-blank-lines", "x1,x2,y\n\n\n", " has a header but no rows"),
    ("header-no-newline", "x1,x2,y", " has a header but no rows"),
    ("one-column", "y\n0\n1\n", " line 1 has 1 column; need features and a label"),
    ("blank-first-line", "\nx1,x2,y\n1,2,0\n3,4,1\n", ": line 1 must be the header"),
    ("single-class", "x1,x2,y\n1,2,1\n3,4,1\n", ": all 2 rows have one label: need both classes"),
    ("not-utf8", b"x1,x2,y\n\xff,2,0\n3,4,1\n", " cannot be read as UTF-8 CSV: 'utf-8' codec"),
    ("missing-file", None, " not found: run the stage that writes it first (dvc repro)"),
]


@pytest.mark.parametrize(
    ("content", "problem"),
    [pytest.param(content, problem, id=name) for name, content, problem in FILE_DEFECTS],
)
def test_file_defects_give_one_message_through_both_parsers(tmp_path, content, problem):
    """A defective file as a whole gives the same DataError through both parsers."""
    path = written(tmp_path / "broken.csv", content)
    by_loadtxt, by_pandas = (error_of(READERS[parser], path) for parser in PARSERS)
    assert by_loadtxt == by_pandas
    assert by_loadtxt.startswith(f"{path}{problem}")


DIVERGING = [
    ("nan-feature", "x1,x2,y\n1,2,0\nnan,4,1\n"),
    ("nan-label", "x1,x2,y\n1,2,0\n3,4,nan\n"),
    ("spaces-only-line", "x1,x2,y\n1,2,0\n   \n3,4,1\n"),
    ("quoted-number", 'x1,x2,y\n1,2,0\n"3",4,1\n'),
    ("arabic-indic-digit", "x1,x2,y\n1,2,0\n\u0661,4,1\n"),
]


@pytest.mark.parametrize("text", [text for _, text in DIVERGING], ids=[n for n, _ in DIVERGING])
def test_both_parsers_agree_on_odd_fields(tmp_path, text):
    """NaN, a line of spaces, a quoted number or a non-ASCII digit read alike by both parsers."""
    path = written(tmp_path / "odd.csv", text)
    by_loadtxt, by_pandas = (outcome(READERS[parser], path) for parser in PARSERS)
    assert by_loadtxt == by_pandas
    assert by_loadtxt[0] == "read" or " line 3" in by_loadtxt[1]


# --- limits, checked before parsing --------------------------------------------------------------


def block_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every parser, and the `csv` scan, fail if called."""
    monkeypatch.setattr(np, "loadtxt", refuse)
    monkeypatch.setattr(pd, "read_csv", refuse)
    monkeypatch.setattr(csv, "reader", refuse)


LIMIT_READERS = {
    "loadtxt": tables.read_dataset,
    "pandas": tables.read_dataset,
    "own": read_own,
}


@pytest.mark.parametrize("ending", ["\n", ""], ids=["newline-at-end", "no-newline-at-end"])
@pytest.mark.parametrize("reader", LIMIT_READERS)
def test_too_many_rows_are_refused_before_parsing(tmp_path, monkeypatch, reader, ending):
    """A file of more rows than MAX_SAMPLES is refused from its line count, no parser called."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1" + ending)
    monkeypatch.setattr(csvlines, "MAX_SAMPLES", 3)
    if reader == "pandas":
        monkeypatch.setattr(tables, "PANDAS_BYTES", 0)
    monkeypatch.setattr(np, "loadtxt", refuse)
    monkeypatch.setattr(pd, "read_csv", refuse)
    message = error_of(LIMIT_READERS[reader], path)
    assert message == f"{path} has 4 lines of rows, more than 3"


@pytest.mark.parametrize("ending", ["\n", ""], ids=["newline-at-end", "no-newline-at-end"])
@pytest.mark.parametrize("reader", READERS)
def test_max_samples_rows_are_read(tmp_path, monkeypatch, reader, ending):
    """A file of exactly MAX_SAMPLES rows is read whole."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1,2,0\n3,4,1\n5,6,0" + ending)
    monkeypatch.setattr(csvlines, "MAX_SAMPLES", 3)
    assert READERS[reader](path).y.tolist() == [0, 1, 0]


@pytest.mark.parametrize("reader", LIMIT_READERS)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, reader):
    """A file over MAX_TABLE_BYTES is refused with its size, neither parsed nor scanned."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1,2,0\n3,4,1\n5")
    monkeypatch.setattr(tables, "MAX_TABLE_BYTES", 20)
    if reader == "pandas":
        monkeypatch.setattr(tables, "PANDAS_BYTES", 0)
    block_parsing(monkeypatch)
    message = error_of(LIMIT_READERS[reader], path)
    assert message == f"{path} is 21 bytes, more than the 20 this input may have"


@pytest.mark.parametrize("reader", READERS)
def test_a_file_at_the_size_limit_is_read(tmp_path, monkeypatch, reader):
    """A file of exactly MAX_TABLE_BYTES is read."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1,2,0\n3,4,1\n")
    monkeypatch.setattr(tables, "MAX_TABLE_BYTES", 20)
    assert READERS[reader](path).y.tolist() == [0, 1]


@pytest.mark.parametrize("reader", LIMIT_READERS)
def test_more_features_than_allowed_are_refused_before_parsing(tmp_path, monkeypatch, reader):
    """A header of more feature columns than MAX_FEATURES is refused, no parser called."""
    path = written(tmp_path / "d.csv", "a,b,c,y\n1,2,3,0\n4,5,6,1\n")
    monkeypatch.setattr(csvlines, "MAX_FEATURES", 2)
    if reader == "pandas":
        monkeypatch.setattr(tables, "PANDAS_BYTES", 0)
    monkeypatch.setattr(np, "loadtxt", refuse)
    monkeypatch.setattr(pd, "read_csv", refuse)
    assert error_of(LIMIT_READERS[reader], path) == (
        f"{path} line 1: 3 feature columns, more than the 2 allowed"
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("reader", LIMIT_READERS)
def test_a_line_longer_than_the_limit_is_refused_before_parsing(
    tmp_path, monkeypatch, reader, newline
):
    """A line longer than MAX_LINE_BYTES is refused with its number, before any parser runs
    (one line of millions of fields would hold a pointer and more per field)."""
    rows = ["x1,x2,y", "1,2,0", "3,4," + "1" * 40, "5,6,0"]
    path = written(tmp_path / "d.csv", newline.join(rows) + newline)
    monkeypatch.setattr(csvlines, "MAX_LINE_BYTES", 16)
    if reader == "pandas":
        monkeypatch.setattr(tables, "PANDAS_BYTES", 0)
    block_parsing(monkeypatch)
    assert error_of(LIMIT_READERS[reader], path) == f"{path} line 3 is longer than 16 bytes"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_lines_of_the_limit_in_every_block_are_read(tmp_path, monkeypatch, newline):
    """Lines of exactly MAX_LINE_BYTES (the scan's block size) are read, wherever the blocks
    split them or their line ends."""
    rows = ["x,y", *(f"{i:07d},{i % 2}" for i in range(40))]  # 9 bytes a line
    path = written(tmp_path / "d.csv", newline.join(rows))
    monkeypatch.setattr(csvlines, "MAX_LINE_BYTES", 9)
    assert read_own(path).x[:, 0].tolist() == list(range(40))


@pytest.mark.parametrize("reader", LIMIT_READERS)
def test_lines_ended_by_a_carriage_return_alone_count_as_lines(tmp_path, monkeypatch, reader):
    """Rows ended by CR alone (old Mac files) are counted for the row limit like any others."""
    path = written(tmp_path / "d.csv", "x1,x2,y\r1,2,0\r3,4,1\r5,6,0\r7,8,1\r")
    monkeypatch.setattr(csvlines, "MAX_SAMPLES", 3)
    if reader == "pandas":
        monkeypatch.setattr(tables, "PANDAS_BYTES", 0)
    block_parsing(monkeypatch)
    assert error_of(LIMIT_READERS[reader], path) == f"{path} has 4 lines of rows, more than 3"


def test_a_header_longer_than_the_limit_is_refused(tmp_path, monkeypatch):
    """A header spanning lines (quoted line breaks) is refused past MAX_HEADER_CHARS, before
    its names are held."""
    path = written(tmp_path / "d.csv", '"a\n\n\n\n\n\n\n\n\n\nb",y\n1,0\n2,1\n')
    monkeypatch.setattr(csvlines, "MAX_HEADER_CHARS", 8)
    assert error_of(read_own, path) == f"{path}: the header (line 1) is longer than 8 characters"


@pytest.mark.parametrize("reader", READERS)
def test_running_out_of_memory_is_one_data_error(tmp_path, monkeypatch, reader):
    """A MemoryError while reading is one DataError naming the file and its size."""
    path = written(tmp_path / "d.csv", "x1,x2,y\n1,2,0\n3,4,1\n")

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(tables, "Dataset", exhausted)
    assert error_of(READERS[reader], path) == f"{path}: not enough memory to read its 20 bytes"


# --- reading in chunks ---------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["pandas", "own"])
def test_tables_read_in_chunks_of_one_to_five_rows_read_alike(tmp_path, monkeypatch, reader):
    """Chunks of any size give the same Dataset, labels and names as one chunk."""
    rng = np.random.default_rng(11)
    data = Dataset(rng.normal(size=(23, 3)), np.arange(23) % 2, ("a", "b", "c"), "label")
    path = tmp_path / "d.csv"
    tablewriter.write_dataset(path, data)
    read = READERS[reader] if reader == "pandas" else (lambda p: read_own(p, label="label"))
    for fields in range(4, 21, 4):  # 1 to 5 rows of 4 fields
        monkeypatch.setattr(tables, "CHUNK_FIELDS", fields)
        assert_same(read(path), data)


LATE_DEFECTS = [
    ("9,", "line 12: y is empty"),
    ("9,x", "line 12: label y has more than two values ('yes', 'no', 'x'); a label must have two"),
    ("abc,yes", "line 12: x = 'abc' is not a number"),
    ("1e400,no", f"line 12: x = '1e400' {OUTSIDE}"),
    ("9,yes,1", "line 12 has 3 fields; the header (line 1) has 2"),
]


@pytest.mark.parametrize(("row", "problem"), LATE_DEFECTS)
def test_a_defect_in_a_later_chunk_is_reported_at_its_line(tmp_path, monkeypatch, row, problem):
    """A defect in a later chunk, after chunks of other types (numbers, then words), is found
    at its line."""
    rows = [f"{i},{('yes', 'no')[i % 2]}" for i in range(8)]
    path = written(tmp_path / "d.csv", "\n".join(["x,y", *rows, "", "", row, "5,no"]) + "\n")
    monkeypatch.setattr(tables, "CHUNK_FIELDS", 6)
    assert error_of(lambda p: read_own(p, positive="yes"), path) == f"{path} {problem}"


def test_labels_typed_differently_in_two_chunks_are_one_label(tmp_path, monkeypatch):
    """A label read as numbers in one chunk and as text in another ('1' and ' 1 ', 'true')
    is compared as text, one value across chunks."""
    path = written(tmp_path / "d.csv", "x,y\n1,1\n2,0\n3, 1 \n4,0 \n5,1.0\n6,0\n")
    monkeypatch.setattr(tables, "CHUNK_FIELDS", 4)
    assert read_own(path).y.tolist() == [1, 0, 1, 0, 1, 0]


# --- memory --------------------------------------------------------------------------------------

READ_PEAKS = """
import json, os, sys
from pathlib import Path
from scratchnet import tables
from scratchnet.errors import DataError, OutputError
from scratchnet.params import DataParams

def kib(key):
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith(key)))

def peak(read, path):
    reading, report = os.pipe()
    if os.fork() == 0:  # each reading from the same start: freed memory kept by one is no help
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
        before = kib("VmRSS")
        try:
            read(path)
        except DataError:
            pass
        os.write(report, str(kib("VmHWM") - before).encode())
        os._exit(0)
    os.close(report)
    os.wait()
    return int(os.read(reading, 100))

tables.CHUNK_FIELDS = 1 << 17
tables.PANDAS_BYTES = 0
readers = {
    "own": lambda path: tables.read_own_dataset(path, DataParams("flower", 400, 0.2, 0)),
    "pipeline": tables.read_dataset,
}
for read in readers.values():
    read(sys.argv[1])  # imports pandas and what reading needs
peaks = {
    f"{name} {Path(path).name}": peak(read, path)
    for name, read in readers.items()
    for path in sys.argv[2:]
}
print(json.dumps(peaks))
"""
"""Reads the first file with each reader (with pandas, in chunks of 2^17 fields), then each
other file in a fork of that process, and prints how far each reading raised the fork's peak
resident memory, in KiB, as JSON."""


def wide_rows(rows: int) -> str:
    """MAX_FEATURES one-digit features and a label: 2 bytes a field, the most fields a byte."""
    header = ",".join(f"x{i}" for i in range(MAX_FEATURES)) + ",y\n"
    row = ",".join("01"[j % 2] for j in range(MAX_FEATURES + 1)) + "\n"
    return header + row * rows


SHAPES = {
    "wide": lambda: wide_rows(4_000),
    "empty-rows": lambda: wide_rows(2) + ("," * MAX_FEATURES + "\n") * 8_000,
    "blank-lines": lambda: "x,y\n1,0\n2,1\n" + (" " * 15 + "\n") * 500_000,
    "many-rows": lambda: "x,y\n" + "1,0\n0,1\n" * 1_000_000,
}
"""Files of about 8 MB in the shapes that took most memory per byte: the most numbers a byte
(wide or narrow rows of one-digit fields), rows of empty fields as a spreadsheet exports them,
blank lines."""
READ_FACTOR = 4
"""Reading keeps 8 bytes for each number, and a number takes 2 bytes of the file at least."""
SLACK_MIB = 32
"""Beyond READ_FACTOR times the file: pandas' chunk (2^17 fields here) with its parser's
buffers and the allocator's rounding (25 MiB measured on the wide file; the old reader's
extra was 70 to 150 MiB on these files)."""


def test_reading_takes_at_most_four_times_the_file_whatever_its_shape(tmp_path):
    """Reading a file raises the peak memory by at most READ_FACTOR times its size plus
    SLACK_MIB, whatever its shape and reader (the old reader took 14 times a wide file, 19
    times one of empty rows)."""
    paths = [written(tmp_path / "small.csv", "x,y\n1,0\n2,1\n")]
    paths += [written(tmp_path / f"{name}.csv", make()) for name, make in SHAPES.items()]
    done = subprocess.run(
        [sys.executable, "-c", READ_PEAKS, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    peaks = json.loads(done.stdout)
    over = {}
    for reader, name in itertools.product(("own", "pipeline"), SHAPES):
        kib = peaks[f"{reader} {name}.csv"]
        size_kib = (tmp_path / f"{name}.csv").stat().st_size / 1024
        if kib > READ_FACTOR * size_kib + SLACK_MIB * 1024:
            over[f"{reader} {name}"] = f"{kib / size_kib:.1f} times the file"
    assert over == {}, peaks


# --- paths ---------------------------------------------------------------------------------------


def test_table_readers_and_writers_take_a_str_path(tmp_path):
    """write_dataset, write_table, read_dataset and read_own_dataset take `str` paths."""
    data = Dataset(np.array([[0.5, 1.5], [2.5, 3.5]]), np.array([0, 1]))
    tablewriter.write_dataset(f"{tmp_path}/d.csv", data)
    assert_same(tables.read_dataset(f"{tmp_path}/d.csv"), data)
    assert_same(tables.read_own_dataset(f"{tmp_path}/d.csv", own_params()), data)
    tablewriter.write_table(f"{tmp_path}/t.csv", {"a": [1, 2]})
    assert (tmp_path / "t.csv").read_text() == "a\n1\n2\n"


def test_a_split_of_other_columns_is_refused(tmp_path):
    """Training and test tables with the same columns in another order are refused, both named."""
    train = written(tmp_path / "train.csv", "a,b,y\n1,2,0\n3,4,1\n")
    test = written(tmp_path / "test.csv", "b,a,y\n1,2,0\n3,4,1\n")
    assert tables.read_split(train, train)[1].feature_names == ("a", "b")
    with pytest.raises(DataError, match=r"test\.csv has columns \('b', 'a', 'y'\), .*\('a', 'b'"):
        tables.read_split(train, test)
