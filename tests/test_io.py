"""Tests of scratchnet.io and scratchnet.model_files: atomic commits, encoders, readers."""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnet import io as sio
from scratchnet import logreg_file, model_files, nn_file, scaler_file
from scratchnet.datasets import Dataset
from scratchnet.errors import DataError, ModelFileError, ParamsError
from scratchnet.logreg import LogisticModel
from scratchnet.nn import Network
from scratchnet.split import Standardizer

# --- helpers ------------------------------------------------------------------------------------


def temporary_files(root: Path) -> list[Path]:
    """Every leftover `.NAME.PID.tmp` file under `root`."""
    return sorted(root.rglob(".*.tmp"))


def random_network(h: int = 3, d: int = 2, activation: str = "tanh", dtype=np.float64) -> Network:
    """A network with random, distinct weights of the given shape and dtype."""
    rng = np.random.default_rng(11)
    return Network.from_arrays(
        rng.normal(size=(h, d)).astype(dtype),
        rng.normal(size=(h, 1)).astype(dtype),
        rng.normal(size=(1, h)).astype(dtype),
        rng.normal(size=(1, 1)).astype(dtype),
        activation,
    )


def network_arrays(h: int = 3, d: int = 2) -> dict[str, np.ndarray]:
    """Copies of a random network's W1, b1, W2, b2."""
    return {name: array.copy() for name, array in random_network(h, d).arrays().items()}


def write_network(
    tmp_path: Path, net: Network | None = None, metadata: dict | None = None
) -> tuple[Path, Path]:
    """Encode `net` to model.npz and model.json under tmp_path and return both paths."""
    npz, sidecar = nn_file.encode_network(net or random_network(), metadata or {"epochs": 7})
    npz_path, sidecar_path = tmp_path / "model.npz", tmp_path / "model.json"
    npz_path.write_bytes(npz)
    sidecar_path.write_bytes(sidecar)
    return npz_path, sidecar_path


def edit_json(path: Path, **changes) -> None:
    """Rewrite the JSON object at `path` with `changes` applied (a value of ... deletes)."""
    document = json.loads(path.read_text())
    for key, value in changes.items():
        if value is ...:
            del document[key]
        else:
            document[key] = value
    path.write_text(json.dumps(document))


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """A zip file at `path` holding the raw `members`."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    """The .npy serialisation of `array`."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def logistic_model() -> LogisticModel:
    """A small fitted-looking logistic model."""
    return LogisticModel(
        intercept=-0.25,
        coef=np.array([1.5, -2.75]),
        iterations=6,
        gradient_norm=3.0e-12,
        separated=False,
    )


def write_logistic(tmp_path: Path, model: LogisticModel | None = None) -> tuple[Path, Path]:
    """Encode a logistic model to logreg.npz and logreg.json under tmp_path."""
    npz, sidecar = logreg_file.encode_logistic(model or logistic_model())
    npz_path, sidecar_path = tmp_path / "logreg.npz", tmp_path / "logreg.json"
    npz_path.write_bytes(npz)
    sidecar_path.write_bytes(sidecar)
    return npz_path, sidecar_path


class TouchOnUnpickle:
    """An object whose unpickling creates `marker`: a stand-in for arbitrary code execution."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def malicious_npy(marker: Path) -> bytes:
    """A .npy object array that touches `marker` when loaded with allow_pickle=True."""
    payload = np.empty(1, dtype=object)
    payload[0] = TouchOnUnpickle(marker)
    return npy_bytes(payload, allow_pickle=True)


# --- commit -------------------------------------------------------------------------------------


def test_commit_writes_every_output_and_leaves_no_temporary_files(tmp_path):
    """commit writes each payload (creating parent folders) and removes its temporary files."""
    outputs = {
        tmp_path / "a.json": b'{"a": 1}\n',
        tmp_path / "deep" / "er" / "b.csv": b"x1,x2,y\n",
        tmp_path / "empty.bin": b"",
    }
    sio.commit(outputs)
    for path, payload in outputs.items():
        assert path.read_bytes() == payload
    assert temporary_files(tmp_path) == []


def test_commit_replaces_existing_files(tmp_path):
    """An existing output is replaced by the new bytes."""
    target = tmp_path / "metrics.json"
    target.write_bytes(b"old contents that are longer than the new ones")
    sio.commit({target: b"new"})
    assert target.read_bytes() == b"new"
    assert temporary_files(tmp_path) == []


def test_commit_failing_to_create_a_folder_changes_nothing(tmp_path):
    """If one output's folder cannot be made, earlier outputs keep their old bytes, no temps."""
    first = tmp_path / "first.txt"
    first.write_bytes(b"old")
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"a file where a folder is needed")
    with pytest.raises(OSError):
        sio.commit({first: b"new", blocker / "second.txt": b"x"})
    assert first.read_bytes() == b"old"
    assert blocker.read_bytes() == b"a file where a folder is needed"
    assert temporary_files(tmp_path) == []


def test_commit_failing_to_write_a_payload_changes_nothing(tmp_path):
    """A payload that cannot be written aborts the commit: no output changes, no temps remain."""
    first, second, third = tmp_path / "1.bin", tmp_path / "2.bin", tmp_path / "3.bin"
    first.write_bytes(b"old 1")
    second.write_bytes(b"old 2")
    with pytest.raises(TypeError):
        sio.commit({first: b"new 1", second: "not bytes", third: b"new 3"})  # type: ignore[dict-item]
    assert first.read_bytes() == b"old 1"
    assert second.read_bytes() == b"old 2"
    assert not third.exists()
    assert temporary_files(tmp_path) == []


def test_commit_restores_the_signal_mask(tmp_path):
    """SIGINT and SIGTERM are unblocked again once commit returns."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    sio.commit({tmp_path / "x": b"x"})
    after = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert after == before
    assert signal.SIGINT not in after
    assert signal.SIGTERM not in after


# --- encoders -----------------------------------------------------------------------------------


class FakeClock:
    """A stand-in for zipfile's `time` module whose clock jumps an hour at every reading."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        self.now += 3600.0
        return self.now

    @staticmethod
    def localtime(seconds: float | None = None) -> time.struct_time:
        return time.localtime(seconds)


def test_encode_npz_is_byte_deterministic_whatever_the_clock(monkeypatch):
    """Two encodings at different (fake) times give identical bytes with fixed zip timestamps."""
    monkeypatch.setattr(zipfile, "time", FakeClock())
    # Control: zipfile's own clock-stamping path now sees different times at each call.
    stamps = []
    for _ in range(2):
        with zipfile.ZipFile(io.BytesIO(), "w") as archive:
            archive.writestr("member", b"x")
            stamps.append(archive.getinfo("member").date_time)
    assert stamps[0] != stamps[1]

    arrays = network_arrays()
    first, second = sio.encode_npz(arrays), sio.encode_npz(arrays)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["w1.npy", "b1.npy", "w2.npy", "b2.npy"]
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)
    assert all(info.compress_type == zipfile.ZIP_STORED for info in infos)


def test_encode_npz_round_trips_through_np_load():
    """np.load without pickles gives back every array with its dtype, shape and values."""
    rng = np.random.default_rng(0)
    arrays = {
        "f64": rng.normal(size=(4, 3)),
        "f32": rng.normal(size=5).astype(np.float32),
        "i64": np.arange(6, dtype=np.int64).reshape(2, 3),
        "transposed": rng.normal(size=(3, 2)).T,  # not C-contiguous
        "column": rng.normal(size=(3, 4))[:, -1:],  # a strided view
    }
    with np.load(io.BytesIO(sio.encode_npz(arrays)), allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(arrays)
        for name, array in arrays.items():
            loaded = archive[name]
            assert loaded.dtype == array.dtype
            np.testing.assert_array_equal(loaded, array)


def test_encode_npz_keeps_zero_dimensional_shape():
    """A 0-d array comes back 0-d, as np.savez keeps it (no silent promotion to shape (1,))."""
    with np.load(io.BytesIO(sio.encode_npz({"scalar": np.array(2.5)})), allow_pickle=False) as f:
        assert f["scalar"].shape == ()
        assert f["scalar"] == 2.5


def test_encode_npz_refuses_object_arrays():
    """encode_npz never writes pickled data."""
    with pytest.raises(ValueError):
        sio.encode_npz({"bad": np.array([{"a": 1}], dtype=object)})


def test_encode_json_sorts_keys_at_every_level():
    """Keys come out sorted (nested too), so insertion order never changes the bytes."""
    forward = {"b": 1, "a": {"z": 0.1, "y": [1, 2]}, "c": "text"}
    backward = {"c": "text", "a": {"y": [1, 2], "z": 0.1}, "b": 1}
    encoded = sio.encode_json(forward)
    assert encoded == sio.encode_json(backward)
    assert encoded.endswith(b"\n")
    decoded = json.loads(encoded)
    assert list(decoded) == ["a", "b", "c"]
    assert list(decoded["a"]) == ["y", "z"]
    assert decoded == forward


def test_encode_json_floats_round_trip_exactly():
    """Floats are written in shortest round-trip form: decoding gives the same bits."""
    values = [0.1, 1 / 3, 2.0**-1074, 1e308, -0.0]
    assert json.loads(sio.encode_json({"v": values}))["v"] == values


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_encode_json_refuses_non_finite_numbers(bad):
    """NaN and infinities are not JSON: encode_json raises instead of writing them."""
    with pytest.raises(ValueError):
        sio.encode_json({"ok": 1.0, "nested": {"bad": bad}})


# --- datasets on disk ---------------------------------------------------------------------------


def test_dataset_round_trips_bit_for_bit(tmp_path):
    """encode_dataset then read_dataset gives the same float64 bits and labels."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 2)) * 10.0 ** rng.integers(-8, 8, size=(30, 2))
    data = Dataset(x, np.repeat(np.array([0, 1]), 15))
    path = tmp_path / "data.csv"
    path.write_bytes(sio.encode_dataset(data))
    back = sio.read_dataset(path)
    assert back.x.tobytes() == data.x.tobytes()
    np.testing.assert_array_equal(back.y, data.y)
    assert back.y.dtype == np.int64
    assert path.read_text().splitlines()[0] == "x1,x2,y"


BAD_CSVS = [
    ("empty", "", "is empty"),
    ("header-only", "x1,x2,y\n", "header but no rows"),
    ("missing-column", "x1,x2\n1,2\n3,4\n", "no column 'y'"),
    ("misnamed-column", "x1,x3,y\n1,2,0\n3,4,1\n", "no column 'x2'"),
    ("non-numeric", "x1,x2,y\n1,2,0\n3,abc,1\n", "row 1: x2 = 'abc' is not a number"),
    ("non-numeric-label", "x1,x2,y\n1,2,zero\n3,4,1\n", "row 0: y = 'zero' is not a number"),
    ("nan", "x1,x2,y\n1,2,0\nnan,4,1\n", "row 1 has a NaN or infinite feature"),
    ("blank-feature", "x1,x2,y\n1,,0\n3,4,1\n", "row 0 has a NaN or infinite feature"),
    ("inf", "x1,x2,y\n1,2,0\n3,inf,1\n", "row 1 has a NaN or infinite feature"),
    ("minus-inf", "x1,x2,y\n-inf,2,0\n3,4,1\n", "row 0 has a NaN or infinite feature"),
    ("label-2", "x1,x2,y\n1,2,0\n3,4,2\n", "row 1: label y ="),
    ("label-2", "x1,x2,y\n1,2,0\n3,4,2\n", "2.0"),
    ("label-2", "x1,x2,y\n1,2,0\n3,4,2\n", "labels must be 0 or 1"),
    ("label-half", "x1,x2,y\n1,2,0.5\n3,4,1\n", "row 0: label y ="),
    ("label-half", "x1,x2,y\n1,2,0.5\n3,4,1\n", "0.5"),
    ("label-blank", "x1,x2,y\n1,2,\n3,4,1\n", "row 0: label y ="),
    ("label-blank", "x1,x2,y\n1,2,\n3,4,1\n", "nan"),
    ("single-class", "x1,x2,y\n1,2,1\n3,4,1\n5,6,1\n", "need both classes"),
]


def error_message(error: type[Exception], read, path) -> str:
    """The message of the `error` that `read(path)` raises, which must name `path`."""
    with pytest.raises(error) as caught:
        read(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(content, problem) for _, content, problem in BAD_CSVS],
    ids=[f"{name}:{problem}" for name, _, problem in BAD_CSVS],
)
def test_read_dataset_names_file_and_problem(tmp_path, content, problem):
    """Each malformed CSV raises DataError whose message names the file and the defect."""
    path = tmp_path / "broken.csv"
    path.write_text(content)
    assert problem in error_message(DataError, sio.read_dataset, path)


def test_read_dataset_missing_file(tmp_path):
    """A missing CSV raises DataError naming the file and saying it was not found."""
    path = tmp_path / "nowhere.csv"
    assert "not found" in error_message(DataError, sio.read_dataset, path)


def test_read_dataset_ignores_extra_columns_and_order(tmp_path):
    """Extra columns are ignored and columns are matched by name, not position."""
    path = tmp_path / "data.csv"
    path.write_text("y,note,x2,x1\n0,a,2.5,1.5\n1,b,4.5,3.5\n")
    data = sio.read_dataset(path)
    np.testing.assert_array_equal(data.x, [[1.5, 2.5], [3.5, 4.5]])
    np.testing.assert_array_equal(data.y, [0, 1])


# --- other readers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "not found"), ("{not json", "not valid JSON"), ("[1, 2]", "JSON object")],
    ids=["missing", "invalid", "not-an-object"],
)
def test_read_json_errors(tmp_path, content, problem):
    """read_json raises DataError naming the file for missing, invalid and non-object JSON."""
    path = tmp_path / "doc.json"
    if content is not None:
        path.write_text(content)
    assert problem in error_message(DataError, sio.read_json, path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "not found"), ("nn: [unclosed\n", "not valid YAML")],
    ids=["missing", "invalid"],
)
def test_read_params_errors(tmp_path, content, problem):
    """read_params raises ParamsError naming the file for a missing or invalid YAML file."""
    path = tmp_path / "params.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ParamsError) as caught:
        sio.read_params(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    "content",
    ["", "epoch,loss\n1,0.5\n", "epoch,cost\n", "epoch,cost\n1,0.5\n2,nan\n", "epoch,cost\n1,x\n"],
    ids=["empty", "no-cost-column", "no-rows", "nan", "non-numeric"],
)
def test_read_cost_curve_errors(tmp_path, content):
    """A learning-curve CSV without finite costs raises DataError naming the file."""
    path = tmp_path / "cost.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=r"cost\.csv"):
        sio.read_cost_curve(path)


def test_read_cost_curve_reads_costs(tmp_path):
    """A valid learning curve gives its cost column as float64."""
    path = tmp_path / "cost.csv"
    table = {"epoch": np.arange(1, 4), "cost": np.array([0.7, 0.5, 0.3])}
    path.write_bytes(sio.encode_table(table))
    np.testing.assert_array_equal(sio.read_cost_curve(path), [0.7, 0.5, 0.3])


# --- network files ------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_network_round_trip(tmp_path, activation, dtype):
    """encode_network then read_network gives back identical weights, dtype and activation."""
    net = random_network(h=5, d=2, activation=activation, dtype=dtype)
    npz_path, sidecar_path = write_network(tmp_path, net, {"epochs": 3, "final_cost": 0.25})
    back = nn_file.read_network(npz_path, sidecar_path)
    assert back.activation == activation
    assert (back.hidden_units, back.n_features) == (5, 2)
    original = net.arrays()
    for name, array in back.arrays().items():
        assert array.dtype == np.dtype(dtype), name
        assert array.tobytes() == original[name].tobytes(), name
    sidecar = json.loads(sidecar_path.read_text())
    assert sidecar["format_version"] == model_files.FORMAT_VERSION
    assert sidecar["model"] == "nn"
    assert (sidecar["hidden_units"], sidecar["n_features"]) == (5, 2)
    assert sidecar["dtype"] == np.dtype(dtype).name
    assert (sidecar["epochs"], sidecar["final_cost"]) == (3, 0.25)


def test_network_encoding_is_deterministic():
    """Encoding one network twice gives the same .npz and sidecar bytes."""
    net = random_network()
    assert nn_file.encode_network(net, {"a": 1}) == nn_file.encode_network(net, {"a": 1})


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"format_version": 2}, "format_version 2"),
        ({"format_version": "1"}, "format_version '1'"),
        ({"format_version": ...}, "format_version None"),
        ({"model": "logreg"}, "describes model 'logreg', expected 'nn'"),
        ({"model": ...}, "describes model None"),
        ({"hidden_units": 40}, "w1 has shape (3, 2), expected (40, 2)"),
        ({"n_features": 3}, "w1 has shape (3, 2), expected (3, 3)"),
        ({"hidden_units": 0}, "hidden_units = 0 must be an integer >= 1"),
        ({"hidden_units": True}, "hidden_units = True must be an integer >= 1"),
        ({"hidden_units": "3"}, "hidden_units = '3' must be an integer >= 1"),
        ({"n_features": 2.0}, "n_features = 2.0 must be an integer >= 1"),
        ({"activation": "softmax"}, "unknown activation 'softmax'"),
    ],
    ids=[
        "version-2",
        "version-string",
        "version-missing",
        "wrong-model",
        "model-missing",
        "sidecar-40-units",
        "sidecar-3-features",
        "zero-units",
        "bool-units",
        "string-units",
        "float-features",
        "unknown-activation",
    ],
)
def test_network_sidecar_defects_raise_model_file_error(tmp_path, changes, problem):
    """A sidecar with a wrong version, model, shape or activation raises ModelFileError."""
    npz_path, sidecar_path = write_network(tmp_path)
    edit_json(sidecar_path, **changes)
    with pytest.raises(ModelFileError) as caught:
        nn_file.read_network(npz_path, sidecar_path)
    assert problem in str(caught.value)


def test_network_missing_files_raise_model_file_error(tmp_path):
    """A missing .npz or sidecar raises ModelFileError saying which file was not found."""
    npz_path, sidecar_path = write_network(tmp_path)
    absent = tmp_path / "absent.npz"
    with pytest.raises(ModelFileError, match=r"absent\.npz not found"):
        nn_file.read_network(absent, sidecar_path)
    with pytest.raises(ModelFileError, match=r"absent\.json not found"):
        nn_file.read_network(npz_path, tmp_path / "absent.json")


def test_network_sidecar_that_is_not_json_raises_model_file_error(tmp_path):
    """An unreadable sidecar raises ModelFileError, not DataError or a JSON exception."""
    npz_path, sidecar_path = write_network(tmp_path)
    sidecar_path.write_text("{truncated")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        nn_file.read_network(npz_path, sidecar_path)


def _extra(arrays):
    return {**arrays, "w3": np.zeros((1, 1))}


def _missing(arrays):
    return {name: array for name, array in arrays.items() if name != "b2"}


def _nan(arrays):
    arrays["w1"][1, 0] = np.nan
    return arrays


def _inf(arrays):
    arrays["b2"][0, 0] = np.inf
    return arrays


def _integers(arrays):
    return {**arrays, "w2": np.ones((1, 3), dtype=np.int64)}


def _complex(arrays):
    return {**arrays, "b1": arrays["b1"].astype(np.complex128)}


def _bad_shape(arrays):
    return {**arrays, "b1": arrays["b1"].ravel()}


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (_extra, "holds arrays ['b1', 'b2', 'w1', 'w2', 'w3']"),
        (_missing, "holds arrays ['b1', 'w1', 'w2']"),
        (_nan, "w1 must hold finite floats"),
        (_inf, "b2 must hold finite floats"),
        (_integers, "w2 holds int64, expected float64"),
        (_complex, "b1 holds complex128, expected float64"),
        (_bad_shape, "b1 has shape (3,), expected (3, 1)"),
    ],
    ids=["extra", "missing", "nan", "inf", "integers", "complex", "flat-bias"],
)
def test_network_array_defects_raise_model_file_error(tmp_path, mutate, problem):
    """Extra, missing, non-finite, non-float or misshapen arrays raise ModelFileError."""
    _, sidecar_path = write_network(tmp_path)
    npz_path = tmp_path / "edited.npz"
    npz_path.write_bytes(sio.encode_npz(mutate(network_arrays())))
    with pytest.raises(ModelFileError) as caught:
        nn_file.read_network(npz_path, sidecar_path)
    assert problem in str(caught.value)
    assert str(npz_path) in str(caught.value)


def _truncated(npz: bytes) -> bytes:
    return npz[: len(npz) // 2]


def _header_only(npz: bytes) -> bytes:
    return npz[:40]


def _flipped(npz: bytes) -> bytes:
    corrupted = bytearray(npz)
    corrupted[len(npz) // 4] ^= 0xFF  # inside the first member's data: a CRC mismatch
    return bytes(corrupted)


def _garbage(npz: bytes) -> bytes:
    return b"this is not a zip file at all"


def _empty(npz: bytes) -> bytes:
    return b""


def _plain_npy(npz: bytes) -> bytes:
    return npy_bytes(np.ones((3, 2)))


@pytest.mark.parametrize(
    "corrupt",
    [_truncated, _header_only, _flipped, _garbage, _empty, _plain_npy],
    ids=["truncated", "header-only", "flipped-byte", "garbage", "empty", "plain-npy"],
)
def test_corrupted_npz_raises_model_file_error(tmp_path, corrupt):
    """A damaged or non-npz model file raises ModelFileError naming the file."""
    npz_path, sidecar_path = write_network(tmp_path)
    npz_path.write_bytes(corrupt(npz_path.read_bytes()))
    with warnings.catch_warnings():
        # A leaked file handle is test_corrupted_npz_closes_the_file's concern, not this one's.
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(ModelFileError) as caught:
            nn_file.read_network(npz_path, sidecar_path)
        message = str(caught.value)
        del caught
        gc.collect()
    assert str(npz_path) in message


@pytest.mark.parametrize(
    "corrupt",
    [_truncated, _header_only, _flipped, _garbage, _empty],
    ids=["truncated", "header-only", "flipped-byte", "garbage", "empty"],
)
def test_corrupted_npz_closes_the_file(tmp_path, corrupt):
    """Refusing a damaged model file does not leak its open file handle (no ResourceWarning)."""
    npz_path, sidecar_path = write_network(tmp_path)
    npz_path.write_bytes(corrupt(npz_path.read_bytes()))
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(ModelFileError) as caught:
            nn_file.read_network(npz_path, sidecar_path)
        del caught
        gc.collect()
    leaks = [w for w in caught_warnings if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]


def test_npz_member_that_is_not_npy_raises_model_file_error(tmp_path):
    """A zip whose members are not .npy data raises ModelFileError (np.load returns raw bytes)."""
    npz_path, sidecar_path = write_network(tmp_path)
    members = {f"{name}.npy": npy_bytes(array) for name, array in network_arrays().items()}
    members["w1.npy"] = b"not an npy header"
    write_zip(npz_path, members)
    with pytest.raises(ModelFileError) as caught:
        nn_file.read_network(npz_path, sidecar_path)
    assert str(npz_path) in str(caught.value)


# --- security: pickled objects ------------------------------------------------------------------


def test_malicious_payload_runs_when_pickles_are_allowed(tmp_path):
    """Control: the crafted .npz really executes code under np.load(allow_pickle=True)."""
    marker = tmp_path / "pwned-control"
    npz_path = tmp_path / "evil.npz"
    write_zip(npz_path, {"w1.npy": malicious_npy(marker)})
    with np.load(npz_path, allow_pickle=True) as archive:
        archive["w1"]
    assert marker.exists()


def test_read_network_refuses_pickled_object_array_without_running_it(tmp_path):
    """An object array in a network file raises ModelFileError and never unpickles its payload."""
    marker = tmp_path / "pwned"
    _, sidecar_path = write_network(tmp_path)
    npz_path = tmp_path / "evil.npz"
    members = {f"{name}.npy": npy_bytes(array) for name, array in network_arrays().items()}
    members["w1.npy"] = malicious_npy(marker)
    write_zip(npz_path, members)
    with pytest.raises(ModelFileError) as caught:
        nn_file.read_network(npz_path, sidecar_path)
    assert str(npz_path) in str(caught.value)
    assert not marker.exists()


def test_read_logistic_refuses_pickled_object_array_without_running_it(tmp_path):
    """An object array in a logistic model file raises ModelFileError; the payload never runs."""
    marker = tmp_path / "pwned"
    npz_path, sidecar_path = write_logistic(tmp_path)
    write_zip(
        npz_path,
        {"intercept.npy": npy_bytes(np.array([0.5])), "coef.npy": malicious_npy(marker)},
    )
    with pytest.raises(ModelFileError):
        logreg_file.read_logistic(npz_path, sidecar_path)
    assert not marker.exists()


# --- logistic model files -----------------------------------------------------------------------


@pytest.mark.parametrize("separated", [False, True])
def test_logistic_round_trip(tmp_path, separated):
    """encode_logistic then read_logistic gives back the same coefficients and fit summary."""
    model = LogisticModel(
        intercept=0.125,
        coef=np.array([-1.0 / 3.0, 2.5]),
        iterations=9,
        gradient_norm=1.0 / 7.0,
        separated=separated,
    )
    back = logreg_file.read_logistic(*write_logistic(tmp_path, model))
    assert back.intercept == model.intercept
    assert type(back.intercept) is float
    assert back.coef.tobytes() == model.coef.tobytes()
    assert (back.iterations, back.gradient_norm, back.separated) == (9, 1.0 / 7.0, separated)
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(back.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"format_version": 0}, "format_version 0"),
        ({"model": "nn"}, "describes model 'nn', expected 'logreg'"),
        ({"n_features": 3}, "coef has shape (2,), expected (3,)"),
        ({"n_features": -1}, "n_features = -1 must be an integer >= 1"),
    ],
    ids=["version", "wrong-model", "wrong-shape", "negative-features"],
)
def test_logistic_sidecar_defects_raise_model_file_error(tmp_path, changes, problem):
    """A logistic sidecar with a wrong version, model or shape raises ModelFileError."""
    npz_path, sidecar_path = write_logistic(tmp_path)
    edit_json(sidecar_path, **changes)
    with pytest.raises(ModelFileError) as caught:
        logreg_file.read_logistic(npz_path, sidecar_path)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("arrays", "problem"),
    [
        ({"intercept": np.array([0.0]), "coef": np.array([1.0, np.nan])}, "finite floats"),
        ({"intercept": np.array([0.0, 1.0]), "coef": np.ones(2)}, "intercept has shape (2,)"),
        ({"coef": np.ones(2)}, "holds arrays ['coef']"),
    ],
    ids=["nan-coef", "two-intercepts", "no-intercept"],
)
def test_logistic_array_defects_raise_model_file_error(tmp_path, arrays, problem):
    """Non-finite, misshapen or missing logistic arrays raise ModelFileError."""
    npz_path, sidecar_path = write_logistic(tmp_path)
    npz_path.write_bytes(sio.encode_npz(arrays))
    with pytest.raises(ModelFileError) as caught:
        logreg_file.read_logistic(npz_path, sidecar_path)
    assert problem in str(caught.value)


def test_logistic_scalar_intercept_raises_model_file_error(tmp_path):
    """A 0-d intercept (written with np.save, not encode_npz) is refused as the wrong shape."""
    npz_path, sidecar_path = write_logistic(tmp_path)
    write_zip(
        npz_path, {"intercept.npy": npy_bytes(np.array(0.5)), "coef.npy": npy_bytes(np.ones(2))}
    )
    with pytest.raises(ModelFileError, match=r"intercept has shape \(\), expected \(1,\)"):
        logreg_file.read_logistic(npz_path, sidecar_path)


def test_network_file_read_as_logistic_raises_model_file_error(tmp_path):
    """Reading a network's files as a logistic model fails on the model kind."""
    npz_path, sidecar_path = write_network(tmp_path)
    with pytest.raises(ModelFileError, match="expected 'logreg'"):
        logreg_file.read_logistic(npz_path, sidecar_path)


@pytest.mark.parametrize(
    ("key", "value"),
    [("iterations", "many"), ("gradient_norm", None), ("gradient_norm", [1.0])],
)
def test_logistic_malformed_fit_summary_raises_model_file_error(tmp_path, key, value):
    """A sidecar whose fit-summary field has the wrong type raises ModelFileError, not a crash."""
    npz_path, sidecar_path = write_logistic(tmp_path)
    edit_json(sidecar_path, **{key: value})
    with pytest.raises(ModelFileError):
        logreg_file.read_logistic(npz_path, sidecar_path)


# --- scaler files -------------------------------------------------------------------------------


def test_scaler_round_trip(tmp_path):
    """encode_scaler then read_scaler gives back the exact mean and scale."""
    scaler = Standardizer(np.array([-0.026, 1.0 / 3.0]), np.array([2.029, 0.1]))
    path = tmp_path / "scaler.json"
    path.write_bytes(scaler_file.encode_scaler(scaler))
    back = scaler_file.read_scaler(path)
    assert back.mean.tobytes() == scaler.mean.tobytes()
    assert back.scale.tobytes() == scaler.scale.tobytes()


BAD_SCALERS = [
    ("not-json", "{", "not valid JSON"),
    ("not-an-object", "[1, 2]", "JSON object"),
    ("version-2", '{"format_version": 2, "mean": [0, 0], "scale": [1, 1]}', "format_version 2"),
    ("no-version", '{"mean": [0, 0], "scale": [1, 1]}', "format_version None"),
    ("no-scale", '{"format_version": 1, "mean": [0, 0]}', "not a scaler file"),
    ("string-mean", '{"format_version": 1, "mean": "ab", "scale": [1, 1]}', "not a scaler file"),
    ("null-mean", '{"format_version": 1, "mean": [null, 0], "scale": [1, 1]}', "two finite"),
    ("three-means", '{"format_version": 1, "mean": [0, 0, 0], "scale": [1, 1]}', "two finite"),
    ("nan-mean", '{"format_version": 1, "mean": [NaN, 0], "scale": [1, 1]}', "two finite"),
    ("inf-mean", '{"format_version": 1, "mean": [Infinity, 0], "scale": [1, 1]}', "two finite"),
    ("zero-scale", '{"format_version": 1, "mean": [0, 0], "scale": [0, 1]}', "positive scales"),
    ("negative", '{"format_version": 1, "mean": [0, 0], "scale": [1, -2]}', "positive scales"),
    ("nan-scale", '{"format_version": 1, "mean": [0, 0], "scale": [1, NaN]}', "positive scales"),
    ("inf-scale", '{"format_version": 1, "mean": [0, 0], "scale": [Infinity, 1]}', "scale"),
]


@pytest.mark.parametrize(
    ("content", "problem"),
    [(content, problem) for _, content, problem in BAD_SCALERS],
    ids=[name for name, _, _ in BAD_SCALERS],
)
def test_read_scaler_errors(tmp_path, content, problem):
    """A malformed scaler file raises DataError naming the file and the problem."""
    path = tmp_path / "scaler.json"
    path.write_text(content)
    assert problem in error_message(DataError, scaler_file.read_scaler, path)


def test_read_scaler_missing_file(tmp_path):
    """A missing scaler file raises DataError naming it."""
    path = tmp_path / "scaler.json"
    with pytest.raises(DataError, match=r"scaler\.json not found"):
        scaler_file.read_scaler(path)


def test_signal_during_renames_is_held_until_every_output_is_in_place(tmp_path, monkeypatch):
    """SIGINT during the renames waits for all of them, then surfaces as InterruptedAfterCommit."""
    real_replace = Path.replace
    sent = []

    def replace_and_interrupt(self, target):
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace_and_interrupt)
    outputs = {tmp_path / "a.txt": b"a", tmp_path / "b.txt": b"b"}
    with pytest.raises(sio.InterruptedAfterCommit):
        sio.commit(outputs)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == {
        "a.txt": b"a",
        "b.txt": b"b",
    }


def test_network_arrays_must_match_the_sidecar_dtype(tmp_path):
    """float32 arrays under a sidecar that says float64 are refused, naming both."""
    _, sidecar_path = write_network(tmp_path)
    npz_path = tmp_path / "edited.npz"
    arrays = {name: array.astype(np.float32) for name, array in network_arrays().items()}
    npz_path.write_bytes(sio.encode_npz(arrays))
    with pytest.raises(ModelFileError, match="holds float32, expected float64"):
        nn_file.read_network(npz_path, sidecar_path)
