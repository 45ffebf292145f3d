"""Tests of scratchnet.io: atomic writes, JSON, params, tables and the model files."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnet import io as sio
from scratchnet import nn
from scratchnet.datasets import Dataset
from scratchnet.errors import DataError, ModelFileError, OutputError, ParamsError
from scratchnet.logreg import LogisticModel
from scratchnet.params import LogRegParams, NNParams
from scratchnet.split import Standardizer


def temporary_files(root: Path) -> list[Path]:
    """Every `.NAME.*.tmp` file under `root`."""
    return sorted(root.rglob(".*.tmp"))


def error_message(error: type[Exception], call, path: Path) -> str:
    """The message of the `error` that `call(path)` raises, which must name `path`."""
    with pytest.raises(error) as caught:
        call(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


# --- write_bytes ---------------------------------------------------------------------------------


def test_write_bytes_creates_folders_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "er" / "out.bin"
    sio.write_bytes(target, b"old contents, longer than the new ones")
    sio.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_write_bytes_failing_mid_payload_keeps_the_old_file(tmp_path, monkeypatch, error):
    """The target keeps its bytes, the temporary file goes; OSError is an OutputError naming
    the path, anything else (Ctrl-C) propagates unchanged."""
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    class BrokenFile(io.FileIO):  # what os.fdopen opens: writes half the payload, then fails
        def write(self, payload):
            super().write(payload[: len(payload) // 2])
            raise error

    monkeypatch.setattr(os, "fdopen", lambda descriptor, mode: BrokenFile(descriptor, mode))
    with pytest.raises(OutputError if isinstance(error, OSError) else KeyboardInterrupt) as caught:
        sio.write_bytes(target, b"a new payload")
    if isinstance(error, OSError):
        assert str(caught.value) == f"cannot write {target}: No space left on device"
    else:
        assert caught.value is error
    assert target.read_bytes() == b"old"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("relative", ["folder", "blocker/out.csv", "blocker/sub/out.csv"])
def test_write_bytes_where_a_folder_or_a_file_is_in_the_way_is_an_output_error(tmp_path, relative):
    """A folder at the target (the rename fails) or a file where a folder is needed (mkdir
    fails): OutputError naming the path, nothing changed, no temporary file left."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "blocker").write_bytes(b"a file")
    error_message(OutputError, lambda path: sio.write_bytes(path, b"x"), tmp_path / relative)
    assert (tmp_path / "folder").is_dir()
    assert (tmp_path / "blocker").read_bytes() == b"a file"
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("name", ["out.csv", "run[1].csv"])
def test_write_bytes_removes_only_its_own_stale_temporary_files(tmp_path, name):
    """Temporary files a killed run left for this output go; other outputs' files stay
    (`run1.csv`'s would match an unescaped `run[1].csv` glob)."""
    stale = [tmp_path / f".{name}.k1ll3d.tmp", tmp_path / f".{name}.x_9.tmp"]
    others = [tmp_path / ".other.csv.k1ll3d.tmp", tmp_path / ".run1.csv.k1ll3d.tmp"]
    for path in stale + others:
        path.write_bytes(b"half-written")
    sio.write_bytes(tmp_path / name, b"x")
    assert temporary_files(tmp_path) == sorted(others)


def test_write_bytes_leaves_the_temporary_file_of_an_output_whose_name_extends_its_own(tmp_path):
    other = tmp_path / ".out.csv.bak.k1ll3d.tmp"  # a temporary file of the output out.csv.bak
    other.write_bytes(b"being written")
    sio.write_bytes(tmp_path / "out.csv", b"x")
    assert other.exists()


def test_write_bytes_never_follows_a_symlink_planted_at_its_temporary_name(tmp_path, monkeypatch):
    """The temporary file is created exclusively: a symlink planted at its name just before it
    is opened is not written through."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    (tmp_path / "models").mkdir()
    real_open, planted = os.open, []

    def plant_then_open(file, flags, *args, **kwargs):
        name = Path(os.fsdecode(file)).name
        if not planted and name.startswith(".nn.npz.") and name.endswith(".tmp"):
            Path(file).symlink_to(outside)
            planted.append(file)
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", plant_then_open)
    sio.write_bytes(tmp_path / "models" / "nn.npz", b"payload")
    assert planted, "the temporary file was not opened through os.open: plant elsewhere"
    assert outside.read_bytes() == b"precious"
    assert (tmp_path / "models" / "nn.npz").read_bytes() == b"payload"


# --- JSON ----------------------------------------------------------------------------------------


def test_json_has_sorted_keys_at_every_level(tmp_path):
    path = tmp_path / "metrics.json"
    sio.write_json(path, {"b": 1, "a": {"z": [{"y": 0, "x": "text"}], "c": 0.5}})
    expected = '{\n  "a": {\n    "c": 0.5,\n    "z": [\n      {\n        "x": "text",\n'
    expected += '        "y": 0\n      }\n    ]\n  },\n  "b": 1\n}\n'
    assert path.read_text() == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_json_refuses_non_finite_numbers(tmp_path, bad):
    with pytest.raises(ValueError):
        sio.write_json(tmp_path / "metrics.json", {"ok": 1.0, "nested": {"bad": [bad]}})
    assert list(tmp_path.iterdir()) == []


# --- readers -------------------------------------------------------------------------------------


def written(path: Path, content: str | bytes | None) -> Path:
    """`path` holding `content` (None: no file)."""
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


YAML_12 = [("k: 010", 10), ("k: 0x10", 16), ("k: 1:00", "1:00"), ("k: yes", "yes")]
YAML_12 += [("k: on", "on"), ("k: 1e-12", 1e-12), ("k: .5", 0.5), ("k: ~", None)]


@pytest.mark.parametrize(("text", "value"), [*YAML_12, ("", ...), ("# nothing set", ...)])
def test_read_params_uses_dvc_yaml_1_2_rules(tmp_path, text, value):
    """Values read as DVC reads them, so what runs is what dvc.lock records; no params: {}."""
    read = sio.read_params(written(tmp_path / "params.yaml", text + "\n"))
    assert repr(read) == repr({} if value is ... else {"k": value})  # repr: the types too


@pytest.mark.parametrize("text", ["0", "false", "[]", "- nn"])
def test_params_file_that_is_not_a_mapping_is_refused(tmp_path, text):
    """A document that is not a mapping of sections says so, whatever YAML value it is."""
    path = written(tmp_path / "params.yaml", text + "\n")
    message = error_message(ParamsError, lambda p: sio.read_section(p, NNParams), path)
    assert "must hold a mapping of sections" in message


YAML_ERRORS = [
    ("nn:\n  seed: 1\n  seed: 2\n", "3:3", "duplicate key"),
    ("nn: [unclosed\n", "2:1", "expected ',' or ']'"),
    ("nn: @seed\n", "1:5", "cannot start any token"),
    # libyaml's wording (ruamel.yaml.clib, which DVC then uses too); the pure-Python parser says
    # "expected <block end>".
    ("nn:\n  seed: 1\n epochs: 2\n", "3:2", "did not find expected key|expected <block end>"),
]


@pytest.mark.parametrize(("text", "where", "problem"), YAML_ERRORS)
def test_read_params_syntax_error_is_one_line_with_its_position(tmp_path, text, where, problem):
    path = written(tmp_path / "params.yaml", text)
    message = error_message(ParamsError, sio.read_params, path)
    assert message.startswith(f"{path}:{where}: ")
    assert re.search(problem, message)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "problem"), [(None, "not found"), (b"nn:\n  init: \xff\n", "cannot be read")]
)
def test_read_params_unreadable_file(tmp_path, content, problem):
    path = written(tmp_path / "params.yaml", content)
    assert problem in error_message(ParamsError, sio.read_params, path)


JSON_ERRORS = [(None, "not found"), ("{not json", "not valid JSON"), (b'"\xff"', "cannot be read")]
JSON_ERRORS += [("[1, 2]", "must hold a JSON object"), ("3", "must hold a JSON object")]


@pytest.mark.parametrize(("content", "problem"), JSON_ERRORS)
def test_read_json_errors(tmp_path, content, problem):
    path = written(tmp_path / "metrics.json", content)
    assert problem in error_message(DataError, sio.read_json, path)


def test_read_number_finds_nested_keys(tmp_path):
    path = written(tmp_path / "metrics.json", '{"nn": {"test": {"accuracy": 1}}, "top": 0.25}')
    read = [sio.read_number(path, "top"), sio.read_number(path, "nn", "test", "accuracy")]
    assert repr(read) == "[0.25, 1.0]"  # repr: floats, not an int 1


NOT_NUMBERS = [('{"nn": {}}', "None"), ('{"nn": 0.5}', "None"), ('{"nn": {"a": null}}', "None")]
NOT_NUMBERS += [('{"nn": {"a": true}}', "True"), ('{"nn": {"a": "NaN"}}', "'NaN'")]
NOT_NUMBERS += [('{"nn": {"a": "0.5"}}', "'0.5'"), ('{"nn": {"a": NaN}}', "nan")]
NOT_NUMBERS += [('{"nn": {"a": -Infinity}}', "-inf"), ('{"nn": {"a": {}}}', "{}")]


@pytest.mark.parametrize(("content", "shown"), NOT_NUMBERS)
def test_read_number_refuses_anything_but_a_finite_number(tmp_path, content, shown):
    path = written(tmp_path / "metrics.json", content)
    message = error_message(DataError, lambda p: sio.read_number(p, "nn", "a"), path)
    assert message == f"{path}: nn.a = {shown} must be a finite number"


def test_dataset_round_trips_bit_for_bit(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 2)) * 10.0 ** rng.integers(-300, 14, size=(40, 2))
    x[:3, 0] = [-0.0, 5e-324, 1 / 3]
    data = Dataset(x, np.repeat(np.array([0, 1]), 20))
    path = tmp_path / "data.csv"
    sio.write_dataset(path, data)
    back = sio.read_dataset(path)
    assert back.x.tobytes() == data.x.tobytes()
    assert back.y.dtype == np.int64
    np.testing.assert_array_equal(back.y, data.y)
    assert path.read_text().splitlines()[0] == "x1,x2,y"


BAD_CSVS = [
    ("empty", "", "is empty"),
    ("header-only", "x1,x2,y\n", "header but no rows"),
    ("missing-column", "x1,x2\n1,2\n3,4\n", "no column 'y'"),
    ("misnamed-column", "x1,x3,y\n1,2,0\n3,4,1\n", "no column 'x2'"),
    ("non-numeric", "x1,x2,y\n1,2,0\n3,abc,1\n", "line 3: x2 = 'abc' is not a number"),
    ("non-numeric-label", "x1,x2,y\n1,2,zero\n3,4,1\n", "line 2: y = 'zero' is not a number"),
    ("nan", "x1,x2,y\n1,2,0\nnan,4,1\n", "line 3: x1 = nan is outside the accepted range"),
    ("blank-feature", "x1,x2,y\n1,,0\n3,4,1\n", "line 2: x2 is empty"),
    ("inf", "x1,x2,y\n1,2,0\n3,inf,1\n", "line 3: x2 = inf is outside the accepted range"),
    ("minus-inf", "x1,x2,y\n-inf,2,0\n3,4,1\n", "line 2: x1 = -inf is outside"),
    ("huge", "x1,x2,y\n1e200,2,0\n3,4,1\n", "line 2: x1 = 1e+200 is outside the accepted range"),
    ("label-2", "x1,x2,y\n1,2,0\n3,4,2\n", "line 3: label y = 2.0; labels must be 0 or 1"),
    ("label-half", "x1,x2,y\n1,2,0.5\n3,4,1\n", "line 2: label y = 0.5;"),
    ("label-blank", "x1,x2,y\n1,2,\n3,4,1\n", "line 2: y is empty"),
    (
        "extra-field",
        "x1,x2,y\n1,2,0\n\n3,4,1,1\n",
        "line 4 has 4 fields; the header (line 1) has 3",
    ),
    ("missing-field", "x1,x2,y\n1,2\n3,4,1\n", "line 2 has 2 fields; the header (line 1) has 3"),
    ("extra-first-row", "x1,x2,y\n1,2,0,0\n3,4,1,1\n", "line 2 has 4 fields"),
    ("single-class", "x1,x2,y\n1,2,1\n3,4,1\n5,6,1\n", "need both classes"),
    ("not-utf8", b"x1,x2,y\n\xff,2,0\n3,4,1\n", "cannot be read: 'utf-8' codec"),
    ("missing-file", None, "not found: run the stage that writes it first"),
]


@pytest.mark.parametrize(
    ("content", "problem"),
    [(content, problem) for _, content, problem in BAD_CSVS],
    ids=[name for name, _, _ in BAD_CSVS],
)
def test_read_dataset_names_file_and_problem(tmp_path, content, problem):
    path = written(tmp_path / "broken.csv", content)
    assert problem in error_message(DataError, sio.read_dataset, path)


def test_read_dataset_ignores_extra_columns_and_order(tmp_path):
    data = sio.read_dataset(written(tmp_path / "d.csv", "y,note,x2,x1\n0,a,2.5,1.5\n1,b,4.5,3.5\n"))
    np.testing.assert_array_equal(data.x, [[1.5, 2.5], [3.5, 4.5]])
    np.testing.assert_array_equal(data.y, [0, 1])


# --- model files ---------------------------------------------------------------------------------

XOR = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]), np.array([0, 0, 1, 1])
LOGISTIC = LogisticModel(-0.25, np.array([1.5, -2.75]), 6, 3.0e-12, False)
SCALER = Standardizer(np.array([-0.026, 1.0 / 3.0]), np.array([2.029, 0.1]))


def fit_network(dtype: str = "float64", activation: str = "tanh") -> nn.FitResult:
    """A 3-unit network trained for 4 epochs on XOR."""
    return nn.fit(*XOR, NNParams(3, activation, 4, 0.5, "normal", 0.5, 3, 1, dtype))


WRITERS = {
    "nn": lambda path: sio.write_network(path, fit_network()),
    "logreg": lambda path: sio.write_logistic(path, LOGISTIC),
    "scaler": lambda path: sio.write_scaler(path, SCALER),
}
READERS = {"nn": sio.read_network, "logreg": sio.read_logistic, "scaler": sio.read_scaler}


def members(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The meta document and the arrays of the model file at `path`."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return json.loads(str(arrays.pop("meta"))), arrays


def npz_bytes(arrays: dict[str, np.ndarray], allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=allow_pickle, **arrays)
    return buffer.getvalue()


def craft(path: Path, meta: dict, arrays: dict, allow_pickle: bool = False) -> None:
    """A model file at `path` holding `arrays` and `meta` as the writers store it."""
    path.write_bytes(npz_bytes({"meta": np.array(json.dumps(meta)), **arrays}, allow_pickle))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_round_trip(tmp_path, dtype, activation):
    result = fit_network(dtype, activation)
    sio.write_network(tmp_path / "nn.npz", result)
    back = sio.read_network(tmp_path / "nn.npz")
    assert back.config == result.config
    assert back.network.activation == activation
    assert back.cost_history.tobytes() == result.cost_history.tobytes()
    original = result.network.arrays()
    for name, array in back.network.arrays().items():
        assert array.dtype == np.dtype(dtype), name
        assert array.tobytes() == original[name].tobytes(), name


@pytest.mark.parametrize("separated", [False, True])
def test_logistic_round_trip(tmp_path, separated):
    model = LogisticModel(0.125, np.array([-1.0 / 3.0, 2.5]), 9, 1.0 / 7.0, separated)
    sio.write_logistic(tmp_path / "logreg.npz", model)
    back = sio.read_logistic(tmp_path / "logreg.npz")
    assert (back.intercept, type(back.intercept)) == (0.125, float)
    assert back.coef.tobytes() == model.coef.tobytes()
    assert (back.iterations, back.gradient_norm, back.separated) == (9, 1.0 / 7.0, separated)


def test_scaler_round_trip(tmp_path):
    sio.write_scaler(tmp_path / "scaler.npz", SCALER)
    back = sio.read_scaler(tmp_path / "scaler.npz")
    assert back.mean.tobytes() == SCALER.mean.tobytes()
    assert back.scale.tobytes() == SCALER.scale.tobytes()


@pytest.mark.parametrize("kind", WRITERS)
def test_model_files_are_byte_deterministic_and_uncompressed(tmp_path, kind):
    WRITERS[kind](tmp_path / "first.npz")
    WRITERS[kind](tmp_path / "second.npz")
    assert (tmp_path / "first.npz").read_bytes() == (tmp_path / "second.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "first.npz") as archive:
        infos = archive.infolist()
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)
    assert all(info.compress_type == zipfile.ZIP_STORED for info in infos)


@pytest.mark.parametrize(
    ("written", "read"), [("scaler", "nn"), ("nn", "logreg"), ("logreg", "scaler")]
)
def test_model_file_of_another_kind_is_refused(tmp_path, written, read):
    WRITERS[written](tmp_path / "model.npz")
    message = error_message(ModelFileError, READERS[read], tmp_path / "model.npz")
    assert f"holds a {written!r} model, expected {read!r}" in message


def replace(mapping: dict, values: dict) -> None:
    """Set each of `values` in `mapping`; a value of ... deletes the key."""
    for key, value in values.items():
        if value is ...:
            del mapping[key]
        else:
            mapping[key] = value


def edit(**arrays):
    return lambda meta, old: replace(old, arrays)


def edit_meta(section: str | None = None, **values):
    return lambda meta, arrays: replace(meta[section] if section else meta, values)


DEFECTS = [
    ("nn", "w1-shape", edit(w1=np.zeros((2, 2))), "w1 has shape (2, 2), expected (3, 2)"),
    ("nn", "flat-b1", edit(b1=np.zeros(3)), "b1 has shape (3,), expected (3, 1)"),
    ("nn", "short-cost", edit(cost=np.ones(3)), "cost has shape (3,), expected (4,)"),
    ("nn", "w2-float32", edit(w2=np.ones((1, 3), "f4")), "w2 holds float32, expected float64"),
    ("nn", "meta-float32", edit_meta("nn", dtype="float32"), "w1 holds float64, expected float32"),
    ("nn", "inf-cost", edit(cost=np.full(4, np.inf)), "cost must hold finite numbers"),
    ("nn", "missing", edit(b2=...), "holds arrays ['b1', 'cost', 'w1', 'w2']; expected"),
    ("nn", "extra", edit(w3=np.ones(1)), "holds arrays ['b1', 'b2', 'cost', 'w1', 'w2', 'w3']"),
    ("nn", "zero-units", edit_meta("nn", hidden_units=0), "nn.hidden_units = 0"),
    ("nn", "softmax", edit_meta("nn", activation="softmax"), "nn.activation = 'softmax'"),
    ("nn", "no-nn", edit_meta(nn=...), "params section 'nn' must be a mapping"),
    ("nn", "version-2", edit_meta(format_version=2), "format_version 2;"),
    ("nn", "no-version", edit_meta(format_version=...), "format_version None;"),
    ("nn", "no-kind", edit_meta(kind=...), "holds a None model, expected 'nn'"),
    ("logreg", "iterations-negative", edit_meta(iterations=-1), "iterations = -1 must be an"),
    ("logreg", "iterations-bool", edit_meta(iterations=True), "iterations = True must be an"),
    ("logreg", "norm-inf", edit_meta(gradient_norm=float("inf")), "gradient_norm = inf must be"),
    ("logreg", "separated-int", edit_meta(separated=0), "separated = 0 must be true or false"),
    ("logreg", "no-separated", edit_meta(separated=...), "separated = None must be true or"),
    ("logreg", "nan-coef", edit(coef=np.array([1.0, np.nan])), "coef must hold finite numbers"),
    ("logreg", "0d-intercept", edit(intercept=np.array(0.5)), "intercept has shape (), expected"),
    ("logreg", "no-intercept", edit(intercept=...), "holds arrays ['coef']"),
    ("scaler", "zero-scale", edit(scale=np.array([0.0, 1.0])), "must be from 1e-12 to 2e+15"),
    ("scaler", "nan-scale", edit(scale=np.array([1.0, np.nan])), "scale must hold finite numbers"),
    ("scaler", "three-means", edit(mean=np.zeros(3)), "mean has shape (3,), expected (2,)"),
]


@pytest.mark.parametrize(
    ("kind", "change", "problem"),
    [(kind, change, problem) for kind, _, change, problem in DEFECTS],
    ids=[f"{kind}-{name}" for kind, name, _, _ in DEFECTS],
)
def test_model_file_defects_raise_model_file_error(tmp_path, kind, change, problem):
    """A file with a bad array, meta field or params section is refused, naming the file."""
    path = tmp_path / "model.npz"
    WRITERS[kind](path)
    meta, arrays = members(path)
    change(meta, arrays)
    craft(path, meta, arrays)
    assert problem in error_message(ModelFileError, READERS[kind], path)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


NOT_MODELS = {
    "missing": lambda good, arrays: None,
    "truncated": lambda good, arrays: good[: len(good) // 2],
    "garbage": lambda good, arrays: b"not a zip file at all",
    "empty": lambda good, arrays: b"",
    "single-npy": lambda good, arrays: npy_bytes(arrays["w1"]),
    "no-meta": lambda good, arrays: npz_bytes(arrays),
    "meta-not-json": lambda good, arrays: npz_bytes({**arrays, "meta": np.array("{nope")}),
    "meta-list": lambda good, arrays: npz_bytes({**arrays, "meta": np.array('[{"kind": "nn"}]')}),
}


@pytest.mark.parametrize("kind", NOT_MODELS)
def test_a_file_that_is_not_a_model_file_is_refused_without_leaking_its_handle(tmp_path, kind):
    path = tmp_path / "nn.npz"
    sio.write_network(path, fit_network())
    content = NOT_MODELS[kind](path.read_bytes(), members(path)[1])
    path.unlink()
    written(path, content)
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always", ResourceWarning)
        error_message(ModelFileError, sio.read_network, path)
        gc.collect()
    assert [w for w in caught_warnings if issubclass(w.category, ResourceWarning)] == []


class TouchOnUnpickle:
    """An object whose unpickling creates `marker`: a stand-in for arbitrary code execution."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickled_member_is_refused_without_running_it(tmp_path):
    path, marker = tmp_path / "nn.npz", tmp_path / "pwned"
    sio.write_network(path, fit_network())
    meta, arrays = members(path)
    payload = np.empty(1, dtype=object)
    payload[0] = TouchOnUnpickle(marker)
    craft(path, meta, {**arrays, "w1": payload}, allow_pickle=True)
    error_message(ModelFileError, sio.read_network, path)
    assert not marker.exists()
    with np.load(path, allow_pickle=True) as archive:  # control: the payload is live
        archive["w1"]
    assert marker.exists()


def test_every_reader_and_writer_takes_a_str_path(tmp_path):
    """The Python API takes `str` as well as `pathlib.Path` paths."""
    folder = str(tmp_path)
    sio.write_dataset(f"{folder}/d.csv", Dataset(*XOR))
    assert sio.read_dataset(f"{folder}/d.csv").x.tolist() == XOR[0].tolist()
    sio.write_json(f"{folder}/m.json", {"nn": {"accuracy": 0.5}})
    assert sio.read_number(f"{folder}/m.json", "nn", "accuracy") == 0.5
    written(tmp_path / "params.yaml", "logreg: {max_iter: 3, tol: 0.5}\n")
    assert sio.read_section(f"{folder}/params.yaml", LogRegParams).max_iter == 3
    for kind, write in WRITERS.items():
        write(tmp_path / kind)
        assert READERS[kind](f"{folder}/{kind}") is not None


def test_written_files_get_the_mode_open_would_give(tmp_path):
    """Not mkstemp's 0600: teammates and DVC's cache see outputs as they see any new file. Run
    under umask 022 (the mode is fixed at import), where open() gives 0644 and mkstemp 0600."""
    script = (
        "import os, sys; os.umask(0o022); from scratchnet import io; "
        "io.write_bytes(sys.argv[1], b'x'); open(sys.argv[2], 'wb').close()"
    )
    written, opened = tmp_path / "written.bin", tmp_path / "opened.bin"
    subprocess.run([sys.executable, "-c", script, str(written), str(opened)], check=True)
    assert [path.stat().st_mode & 0o777 for path in (written, opened)] == [0o644, 0o644]
