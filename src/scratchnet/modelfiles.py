"""Model files: the network, the logistic regression and the scaler, one `.npz` each.

Each holds its arrays uncompressed, plus a `meta` member holding JSON with the format version
and the model kind. They are loaded without pickles, so a crafted file cannot run code, and
each array's header is checked against the shape and dtype the model needs before its data is
read. The width d of the features is not stored: the scaler's own arrays give it, and the
models must match it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from scratchnet import files, models, params, paramsfile
from scratchnet.datasets import MAX_ABS_FEATURE
from scratchnet.errors import ModelFileError, ParamsError, quote
from scratchnet.files import PathArg, not_found
from scratchnet.logreg import LogisticModel
from scratchnet.nn import Network
from scratchnet.split import MIN_SCALE, Standardizer
from scratchnet.training import FitResult

FORMAT_VERSION = 1
"""Version of the model files; bump it when their layout changes."""
LOGISTIC_META = ("iterations", "gradient_norm", "separated")
"""How a logistic-regression fit ended, stored beside its coefficients."""
MAX_MODEL_META_BYTES = 1 << 16
Section = TypeVar("Section")
ZIP_DEFECTS = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
)
"""What reading a corrupt file raises: zipfile raises RuntimeError ("encrypted") and
NotImplementedError ("zip file version", "compression method") for a flipped bit in a header's
flags, version or method fields, besides BadZipFile."""


def _write_model(
    path: Path, kind: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]
) -> None:
    """An uncompressed `.npz` of `arrays` and a `meta` JSON member (`np.savez` stamps members
    1980-01-01, so the bytes do not depend on the clock)."""
    document = json.dumps(
        {"format_version": FORMAT_VERSION, "kind": kind, **meta}, sort_keys=True, allow_nan=False
    )
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, meta=np.array(document), **arrays)
    files.write_bytes(path, buffer.getvalue())


Expected = dict[str, tuple[tuple[int | None, ...], str]]
"""Array name -> (shape, dtype) that a model file must hold; a None in a shape is the feature
width, any length from 1 to params.MAX_FEATURES."""


def _read_header(member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype of a `.npy` stream, read without touching its data."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    return np.lib.format.read_array_header_2_0(member)


def _fits(found: tuple[int, ...], shape: tuple[int | None, ...]) -> bool:
    """Whether a member's shape is `shape`, a None standing for 1 to MAX_FEATURES."""
    return len(found) == len(shape) and all(
        1 <= size <= params.MAX_FEATURES if want is None else size == want
        for size, want in zip(found, shape, strict=True)
    )


def _read_member(
    archive: zipfile.ZipFile, name: str, shape: tuple[int | None, ...], dtype: str
) -> np.ndarray:
    """One `.npy` member, its header checked against `shape` and `dtype` before any data is
    read, so a crafted header cannot make us allocate more than the expected array."""
    with archive.open(f"{name}.npy") as member:
        found_shape, fortran, found_dtype = _read_header(member)
        if not _fits(found_shape, shape):
            raise ValueError(f"{name} has shape {found_shape}, expected {shape}")
        if found_dtype != np.dtype(dtype):
            raise ValueError(f"{name} holds {found_dtype}, expected {dtype}")
        size = found_dtype.itemsize * math.prod(found_shape)
        data = member.read(size + 1)
    if len(data) != size:
        raise ValueError(f"{name} holds {len(data)} bytes of data, expected {size}")
    array = np.frombuffer(data, found_dtype).reshape(found_shape, order="F" if fortran else "C")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers")
    return array.copy()


def _read_meta(archive: zipfile.ZipFile, path: Path, kind: str) -> dict[str, Any]:
    """The meta member's document, its format version and kind checked."""
    info = archive.NameToInfo.get("meta.npy")
    if info is None or info.file_size > MAX_MODEL_META_BYTES:
        raise ModelFileError(f"{path} has no valid meta member: not a scratchnet model file")
    with archive.open(info) as member:
        shape, _, dtype = _read_header(member)
        text = None
        if shape == () and dtype.kind == "U" and dtype.itemsize <= MAX_MODEL_META_BYTES:
            data = member.read(dtype.itemsize + 1)
            if len(data) == dtype.itemsize:  # the header's size, not more
                text = str(np.frombuffer(data, dtype)[0])
    try:
        document = json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise ModelFileError(f"{path} has no valid meta member: not a scratchnet model file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format_version {quote(version)}; this scratchnet reads "
            f"{FORMAT_VERSION}: rerun the stage that writes it (dvc repro)"
        )
    if document.get("kind") != kind:
        found = quote(document.get("kind"))
        raise ModelFileError(f"{path} holds a {found} model, expected {kind!r}")
    return document


def _read_model(
    path: PathArg, kind: str, expected: Callable[[dict[str, Any]], Expected]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the meta document of a `kind` model file.

    The meta member is read first, then `expected(meta)` says which arrays the file must hold;
    each is checked from its header before its data is read. Members must be stored
    uncompressed, as `_write_model` writes them, so a small file cannot inflate into a large
    one. Nothing is unpickled.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            if any(info.compress_type != zipfile.ZIP_STORED for info in archive.infolist()):
                raise ValueError("it has compressed members; scratchnet writes them uncompressed")
            meta = _read_meta(archive, path, kind)
            wanted = expected(meta)
            names = sorted(name.removesuffix(".npy") for name in archive.namelist())
            if names != sorted([*wanted, "meta"]):
                found = [name for name in names if name != "meta"]
                raise ModelFileError(f"{path} holds arrays {found}; expected {sorted(wanted)}")
            arrays = {
                name: _read_member(archive, name, shape, dtype)
                for name, (shape, dtype) in wanted.items()
            }
    except FileNotFoundError:
        raise ModelFileError(not_found(path)) from None
    except ZIP_DEFECTS as error:
        raise ModelFileError(f"{path} is not a valid model file: {error}") from None
    return arrays, meta


def write_network(path: PathArg, result: FitResult) -> None:
    """The network's weights, its learning curve and the `nn` params it was trained with."""
    arrays = {**result.network.arrays(), "cost": result.cost_history}
    meta = {"nn": paramsfile.recorded(result.config)}
    _write_model(path, "nn", arrays, meta)


def _recorded_config(path: PathArg, meta: dict[str, Any], cls: type[Section]) -> Section:
    """The params section `cls` that the meta document records, validated."""
    name = paramsfile.SECTION_NAMES[cls]
    try:
        return paramsfile.parse_section(name, meta.get(name), cls)
    except ParamsError as error:
        raise ModelFileError(f"{path}: {error}") from None


def _check_trained_with(path: PathArg, recorded: object, trained_with: object | None) -> None:
    """Refuse a model trained with other params than `trained_with` (the params the stage is
    told it was trained with), naming the first key that differs: a params.yaml edited while
    `dvc repro` ran can leave a model beside a dvc.lock that records other params."""
    if trained_with is None:
        return
    name = paramsfile.SECTION_NAMES[type(trained_with)]
    for field in dataclasses.fields(trained_with):  # type: ignore[arg-type]
        was, now = getattr(recorded, field.name), getattr(trained_with, field.name)
        if was != now:
            raise ModelFileError(
                f"{path} was trained with {name}.{field.name} = {quote(was)}, but the params "
                f"say {quote(now)}: run train_{name} again (dvc repro)"
            )


def read_network(
    path: PathArg, n_features: int, trained_with: params.NNParams | None = None
) -> FitResult:
    """A network file written by `write_network` for `n_features` inputs, every array and param
    checked; with `trained_with`, its recorded `nn` params must be those."""

    def expected(meta: dict[str, Any]) -> Expected:
        config = _recorded_config(path, meta, params.NNParams)
        h, dtype = config.hidden_units, config.dtype
        weights = {"w1": (h, n_features), "b1": (h, 1), "w2": (1, h), "b2": (1, 1)}
        shapes = {name: (shape, dtype) for name, shape in weights.items()}
        return {**shapes, "cost": ((config.epochs,), "float64")}

    arrays, meta = _read_model(path, "nn", expected)
    config = _recorded_config(path, meta, params.NNParams)
    _check_trained_with(path, config, trained_with)
    cost = arrays.pop("cost")
    if (cost < 0).any():
        raise ModelFileError(f"{path}: cost holds a negative value; a cross-entropy cannot")
    return FitResult(Network.from_arrays(**arrays, activation=config.activation), cost, config)


def write_logistic(path: PathArg, model: LogisticModel, config: params.LogRegParams) -> None:
    """Intercept and coefficients, how the fit ended and the `logreg` params it used."""
    meta = {key: getattr(model, key) for key in LOGISTIC_META}
    meta["logreg"] = paramsfile.recorded(config)
    arrays = {"intercept": np.array([model.intercept]), "coef": model.coef}
    _write_model(path, "logreg", arrays, meta)


def read_logistic(
    path: PathArg, n_features: int, trained_with: params.LogRegParams | None = None
) -> LogisticModel:
    """A logistic-regression file written by `write_logistic` for `n_features` inputs, every
    field checked; with `trained_with`, its recorded `logreg` params must be those."""
    vector = ((n_features,), "float64")
    arrays, meta = _read_model(
        path, "logreg", lambda _: {"intercept": ((1,), "float64"), "coef": vector}
    )
    recorded = _recorded_config(path, meta, params.LogRegParams)
    _check_trained_with(path, recorded, trained_with)
    iterations, norm, separated = (meta.get(key) for key in LOGISTIC_META)
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 0:
        found = quote(iterations)
        raise ModelFileError(f"{path}: iterations = {found} must be an integer >= 0")
    if isinstance(norm, bool) or not isinstance(norm, float) or not math.isfinite(norm):
        found = quote(norm)
        raise ModelFileError(f"{path}: gradient_norm = {found} must be a finite number")
    if not isinstance(separated, bool):
        found = quote(separated)
        raise ModelFileError(f"{path}: separated = {found} must be true or false")
    intercept = float(arrays["intercept"][0])
    return LogisticModel(intercept, arrays["coef"], iterations, norm, separated)


def write_scaler(path: PathArg, scaler: Standardizer) -> None:
    _write_model(path, "scaler", {"mean": scaler.mean, "scale": scaler.scale}, {})


def read_scaler(path: PathArg) -> Standardizer:
    """The training split's standardisation statistics, one per feature: means within
    ±MAX_ABS_FEATURE (as the features they come from), scales from MIN_SCALE to
    2 × MAX_ABS_FEATURE."""
    vector = ((None,), "float64")
    arrays, _ = _read_model(path, "scaler", lambda _: {"mean": vector, "scale": vector})
    mean, scale = arrays["mean"], arrays["scale"]
    if mean.shape != scale.shape:
        raise ModelFileError(f"{path}: {mean.size} means for {scale.size} scales")
    if not (np.abs(mean) <= MAX_ABS_FEATURE).all():
        raise ModelFileError(
            f"{path}: mean {mean.tolist()} is outside ±{MAX_ABS_FEATURE:g}, the feature range"
        )
    if not ((scale >= MIN_SCALE) & (scale <= 2 * MAX_ABS_FEATURE)).all():
        raise ModelFileError(
            f"{path}: scale {scale.tolist()} must be from {MIN_SCALE:g} to {2 * MAX_ABS_FEATURE:g}"
        )
    return Standardizer(mean, scale)


def read_both(
    network: PathArg,
    logistic: PathArg,
    scaler: PathArg,
    nn: params.NNParams,
    logreg: params.LogRegParams,
) -> tuple[FitResult, dict[str, models.Classifier]]:
    """The trained network and both models ready to score raw features, each file checked
    against the feature width its scaler gives and against the params (`nn`, `logreg`) it
    must have been trained with."""
    standardizer = read_scaler(scaler)
    trained = read_network(network, standardizer.n_features, nn)
    fitted = read_logistic(logistic, standardizer.n_features, logreg)
    return trained, models.both(trained, fitted, standardizer)
