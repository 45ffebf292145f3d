"""Tests of scratchnet.modelfiles: the network, logistic-regression and scaler files."""

from __future__ import annotations

import dataclasses
import gc
import io
import json
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnet import modelfiles, nn, training
from scratchnet.errors import ModelFileError
from scratchnet.logreg import LogisticModel
from scratchnet.params import MAX_FEATURES, LogRegParams, NNParams
from scratchnet.split import Standardizer

XOR = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]), np.array([0, 0, 1, 1])
LOGISTIC = LogisticModel(-0.25, np.array([1.5, -2.75]), 6, 3.0e-12, False)
SCALER = Standardizer(np.array([-0.026, 1.0 / 3.0]), np.array([2.029, 0.1]))
LOGREG = LogRegParams(max_iter=100, tol=1e-10)
"""The `logreg` params the logistic files here were written with."""


def error_message(error: type[Exception], call, path: Path) -> str:
    """The message of the `error` that `call(path)` raises, which must name `path`."""
    with pytest.raises(error) as caught:
        call(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


def fit_network(
    dtype: str = "float64", activation: str = "tanh", n_features: int = 2
) -> training.FitResult:
    """A 3-unit network trained for 4 epochs on XOR (n_features 2) or on 8 random rows."""
    if n_features == 2:
        x, y = XOR
    else:
        x, y = np.random.default_rng(n_features).normal(size=(8, n_features)), np.arange(8) % 2
    return training.fit(x, y, nn_params(dtype, activation))


def nn_params(dtype: str = "float64", activation: str = "tanh") -> NNParams:
    """The `nn` params of `fit_network`."""
    return NNParams(3, activation, 4, 0.5, "normal", 0.5, 3, 1, dtype)  # type: ignore[arg-type]


def logistic_model(n_features: int) -> LogisticModel:
    """A logistic model of `n_features` coefficients none of which is a round number."""
    return LogisticModel(0.125, np.arange(1, n_features + 1) / 3.0, 9, 1.0 / 7.0, False)


WRITERS = {
    "nn": lambda path: modelfiles.write_network(path, fit_network()),
    "logreg": lambda path: modelfiles.write_logistic(path, LOGISTIC, LOGREG),
    "scaler": lambda path: modelfiles.write_scaler(path, SCALER),
}
READERS = {
    "nn": lambda path: modelfiles.read_network(path, 2),
    "logreg": lambda path: modelfiles.read_logistic(path, 2),
    "scaler": modelfiles.read_scaler,
}


def written(path: Path, content: bytes | None) -> Path:
    """`path` holding `content` (None: no file)."""
    if content is not None:
        path.write_bytes(content)
    return path


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


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_network_round_trip(tmp_path, dtype, activation):
    """A network file gives back its config, activation, curve and weights bit for bit."""
    result = fit_network(dtype, activation)
    modelfiles.write_network(tmp_path / "nn.npz", result)
    back = modelfiles.read_network(tmp_path / "nn.npz", 2)
    assert back.config == result.config
    assert back.network.activation == activation
    assert back.cost_history.tobytes() == result.cost_history.tobytes()
    original = result.network.arrays()
    for name, array in back.network.arrays().items():
        assert array.dtype == np.dtype(dtype), name
        assert array.tobytes() == original[name].tobytes(), name


@pytest.mark.parametrize("n_features", [1, 2, 7])
def test_network_of_any_width_round_trips(tmp_path, n_features):
    """A network of 1, 2 or 7 inputs reads back with that width and the same weights."""
    result = fit_network(n_features=n_features)
    modelfiles.write_network(tmp_path / "nn.npz", result)
    back = modelfiles.read_network(tmp_path / "nn.npz", n_features)
    assert back.network.n_features == n_features
    original = result.network.arrays()
    for name, array in back.network.arrays().items():
        assert array.tobytes() == original[name].tobytes(), name


@pytest.mark.parametrize("separated", [False, True])
def test_logistic_round_trip(tmp_path, separated):
    """A logistic file gives back its intercept (a float), coefficients and fit summary."""
    model = LogisticModel(0.125, np.array([-1.0 / 3.0, 2.5]), 9, 1.0 / 7.0, separated)
    modelfiles.write_logistic(tmp_path / "logreg.npz", model, LOGREG)
    back = modelfiles.read_logistic(tmp_path / "logreg.npz", 2)
    assert (back.intercept, type(back.intercept)) == (0.125, float)
    assert back.coef.tobytes() == model.coef.tobytes()
    assert (back.iterations, back.gradient_norm, back.separated) == (9, 1.0 / 7.0, separated)


@pytest.mark.parametrize("n_features", [1, 2, 7])
def test_logistic_of_any_width_round_trips(tmp_path, n_features):
    """A logistic model of 1, 2 or 7 coefficients reads back bit for bit."""
    model = logistic_model(n_features)
    modelfiles.write_logistic(tmp_path / "logreg.npz", model, LOGREG)
    back = modelfiles.read_logistic(tmp_path / "logreg.npz", n_features)
    assert back.coef.shape == (n_features,)
    assert back.coef.tobytes() == model.coef.tobytes()


@pytest.mark.parametrize("n_features", [1, 2, 7])
def test_scaler_round_trip(tmp_path, n_features):
    """A scaler's width comes from its own arrays, which read back bit for bit."""
    scaler = Standardizer(np.arange(n_features) / 3.0 - 1.0, np.arange(1, n_features + 1) / 7.0)
    modelfiles.write_scaler(tmp_path / "scaler.npz", scaler)
    back = modelfiles.read_scaler(tmp_path / "scaler.npz")
    assert back.n_features == n_features
    assert back.mean.tobytes() == scaler.mean.tobytes()
    assert back.scale.tobytes() == scaler.scale.tobytes()


@pytest.mark.parametrize(("written_width", "read_width"), [(2, 3), (2, 1), (7, 2), (1, 7)])
def test_model_read_with_another_width_is_refused(tmp_path, written_width, read_width):
    """A model read with the wrong n_features is a ModelFileError naming both shapes."""
    modelfiles.write_network(tmp_path / "nn.npz", fit_network(n_features=written_width))
    modelfiles.write_logistic(tmp_path / "logreg.npz", logistic_model(written_width), LOGREG)
    message = error_message(
        ModelFileError, lambda p: modelfiles.read_network(p, read_width), tmp_path / "nn.npz"
    )
    assert f"w1 has shape (3, {written_width}), expected (3, {read_width})" in message
    message = error_message(
        ModelFileError, lambda p: modelfiles.read_logistic(p, read_width), tmp_path / "logreg.npz"
    )
    assert f"coef has shape ({written_width},), expected ({read_width},)" in message


def write_all(folder: Path, n_features: int, scaler_width: int | None = None) -> list[Path]:
    """Network, logistic and scaler files in `folder` (the scaler `scaler_width` wide)."""
    width = scaler_width or n_features
    paths = [folder / "nn.npz", folder / "logreg.npz", folder / "scaler.npz"]
    modelfiles.write_network(paths[0], fit_network(n_features=n_features))
    modelfiles.write_logistic(paths[1], logistic_model(n_features), LOGREG)
    modelfiles.write_scaler(paths[2], Standardizer(np.full(width, 0.5), np.full(width, 2.0)))
    return paths


@pytest.mark.parametrize("n_features", [1, 7])
def test_read_both_gives_both_classifiers_scoring_raw_features(tmp_path, n_features):
    """read_both gives both classifiers, each scaling raw features before its model."""
    paths = write_all(tmp_path, n_features)
    trained, classifiers = modelfiles.read_both(*paths, nn_params(), LOGREG)
    assert sorted(classifiers) == ["logreg", "nn"]
    x = np.random.default_rng(0).normal(size=(5, n_features))
    scaled = (x - 0.5) / 2.0
    np.testing.assert_array_equal(
        classifiers["nn"].logit(x), nn.predict_logit(trained.network, scaled)
    )
    np.testing.assert_array_equal(
        classifiers["logreg"].logit(x), logistic_model(n_features).decision_function(scaled)
    )


def test_read_both_refuses_models_of_another_width_than_the_scaler(tmp_path):
    """A scaler of 3 features with models of 2 is a ModelFileError naming the network file."""
    paths = write_all(tmp_path, 2, scaler_width=3)
    message = error_message(
        ModelFileError, lambda _: modelfiles.read_both(*paths, nn_params(), LOGREG), paths[0]
    )
    assert "w1 has shape (3, 2), expected (3, 3)" in message


@pytest.mark.parametrize("kind", WRITERS)
def test_model_files_are_byte_deterministic_and_uncompressed(tmp_path, kind):
    """Writing a model twice gives the same bytes: members stored, stamped 1980-01-01."""
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
    """A model file read as another kind names the kind it holds and the kind expected."""
    WRITERS[written](tmp_path / "model.npz")
    message = error_message(ModelFileError, READERS[read], tmp_path / "model.npz")
    assert f"holds a {written!r} model, expected {read!r}" in message


TRAINED_WITH_OTHER_PARAMS = [
    ({"hidden_units": 5}, {}, "nn.npz was trained with nn.hidden_units = 3, but the params say 5"),
    ({"learning_rate": 0.25}, {}, "nn.learning_rate = 0.5, but the params say 0.25"),
    ({"l2": 0.5}, {}, "nn.l2 = 0.0, but the params say 0.5: run train_nn again (dvc repro)"),
    ({}, {"tol": 1e-6}, "logreg.npz was trained with logreg.tol = 1e-10, but the params say 1e-06"),
    ({}, {"l2": 2.0}, "logreg.l2 = 0.0, but the params say 2.0: run train_logreg again"),
]


@pytest.mark.parametrize(("nn_changes", "logreg_changes", "problem"), TRAINED_WITH_OTHER_PARAMS)
def test_a_model_trained_with_other_params_than_the_stage_is_told_is_refused(
    tmp_path, nn_changes, logreg_changes, problem
):
    """read_both refuses a model whose recorded params differ from those it is given (as
    dvc.lock records them), naming the file, the first differing key and both values."""
    paths = write_all(tmp_path, 2)
    nn_config = dataclasses.replace(nn_params(), **nn_changes)
    logreg_config = dataclasses.replace(LOGREG, **logreg_changes)
    with pytest.raises(ModelFileError) as caught:
        modelfiles.read_both(*paths, nn_config, logreg_config)
    assert problem in str(caught.value)


# --- defects -------------------------------------------------------------------------------------


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


TOO_WIDE = MAX_FEATURES + 1
DEFECTS = [
    ("nn", "w1-shape", edit(w1=np.zeros((2, 2))), "w1 has shape (2, 2), expected (3, 2)"),
    ("nn", "flat-b1", edit(b1=np.zeros(3)), "b1 has shape (3,), expected (3, 1)"),
    ("nn", "short-cost", edit(cost=np.ones(3)), "cost has shape (3,), expected (4,)"),
    ("nn", "w2-float32", edit(w2=np.ones((1, 3), "f4")), "w2 holds float32, expected float64"),
    ("nn", "meta-float32", edit_meta("nn", dtype="float32"), "w1 holds float64, expected float32"),
    ("nn", "inf-cost", edit(cost=np.full(4, np.inf)), "cost must hold finite numbers"),
    ("nn", "negative-cost", edit(cost=-np.ones(4)), "cost holds a negative value"),
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
    ("logreg", "no-params", edit_meta(logreg=...), "params section 'logreg' must be a mapping"),
    ("logreg", "zero-tol", edit_meta("logreg", tol=0.0), "logreg.tol = 0.0 is out of range"),
    ("logreg", "nan-coef", edit(coef=np.array([1.0, np.nan])), "coef must hold finite numbers"),
    ("logreg", "0d-intercept", edit(intercept=np.array(0.5)), "intercept has shape (), expected"),
    ("logreg", "no-intercept", edit(intercept=...), "holds arrays ['coef']"),
    ("scaler", "zero-scale", edit(scale=np.array([0.0, 1.0])), "must be from 1e-12 to 2e+15"),
    ("scaler", "nan-scale", edit(scale=np.array([1.0, np.nan])), "scale must hold finite numbers"),
    ("scaler", "huge-mean", edit(mean=np.array([0.0, 2e15])), "is outside ±1e+15"),
    ("scaler", "three-means", edit(mean=np.zeros(3)), ": 3 means for 2 scales"),
    ("scaler", "one-scale", edit(scale=np.ones(1)), ": 2 means for 1 scales"),
    ("scaler", "no-features", edit(mean=np.zeros(0), scale=np.ones(0)), "mean has shape (0,)"),
    (
        "scaler",
        "too-wide",
        edit(mean=np.zeros(TOO_WIDE), scale=np.ones(TOO_WIDE)),
        f"mean has shape ({TOO_WIDE},)",
    ),
    ("scaler", "2d-mean", edit(mean=np.zeros((1, 2))), "mean has shape (1, 2)"),
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
    """A missing, truncated, foreign or meta-less file is a ModelFileError, its handle closed."""
    path = tmp_path / "nn.npz"
    modelfiles.write_network(path, fit_network())
    content = NOT_MODELS[kind](path.read_bytes(), members(path)[1])
    path.unlink()
    written(path, content)
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always", ResourceWarning)
        error_message(ModelFileError, READERS["nn"], path)
        gc.collect()
    assert [w for w in caught_warnings if issubclass(w.category, ResourceWarning)] == []


def zip_structure(content: bytes, members: int = 2) -> list[int]:
    """Offsets of every byte of the zip structure of a model file's first `members` members
    (the meta member, then an array): their local headers (names and extra fields included)
    and central-directory entries, and the end record. The other members' structures repeat
    these field for field."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        infos = archive.infolist()
        central = archive.start_dir
    assert infos[0].filename == "meta.npy"
    offsets = []
    for info in infos[:members]:
        start = info.header_offset
        name_length, extra_length = struct.unpack("<HH", content[start + 26 : start + 30])
        offsets += range(start, start + 30 + name_length + extra_length)
    entry = central
    for _ in infos[:members]:
        lengths = struct.unpack("<HHH", content[entry + 28 : entry + 34])
        offsets += range(entry, entry + 46 + sum(lengths))
        entry += 46 + sum(lengths)
    end = content.rindex(b"PK\x05\x06")
    return offsets + list(range(end, len(content)))


def observed(value: object) -> object:
    """What a reader gave, comparable with ==: each array as its dtype, shape and bytes."""
    if isinstance(value, np.ndarray):
        return value.dtype.str, value.shape, value.tobytes()
    if isinstance(value, training.FitResult):
        network = value.network
        arrays = {**network.arrays(), "cost": value.cost_history}
        return observed(arrays), value.config, network.activation
    if isinstance(value, dict):
        return {key: observed(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value):
        return observed(dataclasses.asdict(value))  # type: ignore[arg-type]
    return value


@pytest.mark.parametrize("kind", WRITERS)
def test_every_bit_flip_in_the_zip_structure_is_read_alike_or_refused(tmp_path, kind):
    """Each single-bit flip in a model file's zip structure (an encryption flag, a version, a
    method, a size, an offset, a name) gives the same model or a ModelFileError of one line
    naming the file; never zipfile's RuntimeError or NotImplementedError."""
    path = tmp_path / f"{kind}.npz"
    WRITERS[kind](path)
    good = path.read_bytes()
    expected = observed(READERS[kind](path))
    flipped = tmp_path / f"flipped-{kind}.npz"
    outcomes = {"same": 0, "refused": 0}
    for offset in zip_structure(good):
        for bit in range(8):
            content = bytearray(good)
            content[offset] ^= 1 << bit
            flipped.write_bytes(content)
            try:
                back = READERS[kind](flipped)
            except ModelFileError as error:
                assert str(flipped) in str(error) and "\n" not in str(error), (offset, bit)
                outcomes["refused"] += 1
            else:
                assert observed(back) == expected, (offset, bit)
                outcomes["same"] += 1
    assert outcomes["refused"] > 0 and outcomes["same"] > 0


class TouchOnUnpickle:
    """An object whose unpickling creates `marker`: a stand-in for arbitrary code execution."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickled_member_is_refused_without_running_it(tmp_path):
    """A member holding a pickle is refused and its payload never runs."""
    path, marker = tmp_path / "nn.npz", tmp_path / "pwned"
    modelfiles.write_network(path, fit_network())
    meta, arrays = members(path)
    payload = np.empty(1, dtype=object)
    payload[0] = TouchOnUnpickle(marker)
    craft(path, meta, {**arrays, "w1": payload}, allow_pickle=True)
    error_message(ModelFileError, READERS["nn"], path)
    assert not marker.exists()
    with np.load(path, allow_pickle=True) as archive:  # control: the payload is live
        archive["w1"]
    assert marker.exists()


def test_every_model_reader_and_writer_takes_a_str_path(tmp_path):
    """The model files' API takes `str` as well as `pathlib.Path` paths."""
    for kind, write in WRITERS.items():
        write(f"{tmp_path}/{kind}")
        assert READERS[kind](f"{tmp_path}/{kind}") is not None
