"""Model files: an uncompressed `.npz` of arrays plus a JSON sidecar.

Arrays are loaded with `allow_pickle=False`, so a crafted file cannot run code; the sidecar
carries a format version and the shapes, and every array is checked against them.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.errors import DataError, ModelFileError
from scratchnet.io import FORMAT_VERSION, encode_json, encode_npz, not_found, read_json
from scratchnet.logreg import LogisticModel
from scratchnet.nn import ACTIVATIONS, Network


def encode_network(net: Network, metadata: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """`.npz` of W1, b1, W2, b2 and a JSON sidecar: format version, shapes, training summary."""
    sidecar = {
        "format_version": FORMAT_VERSION,
        "model": "nn",
        "activation": net.activation,
        "hidden_units": net.hidden_units,
        "n_features": net.n_features,
        "dtype": str(net.flat.dtype),
        **metadata,
    }
    return encode_npz(net.arrays()), encode_json(sidecar)


def encode_logistic(model: LogisticModel) -> tuple[bytes, bytes]:
    """`.npz` of the intercept and coefficients and its JSON sidecar (how the fit ended)."""
    sidecar = {
        "format_version": FORMAT_VERSION,
        "model": "logreg",
        "n_features": int(model.coef.size),
        "iterations": model.iterations,
        "gradient_norm": model.gradient_norm,
        "separated": model.separated,
    }
    arrays = {"intercept": np.array([model.intercept]), "coef": model.coef}
    return encode_npz(arrays), encode_json(sidecar)


def _read_npz(
    path: Path, expected: Mapping[str, tuple[int, ...]], dtype: str
) -> dict[str, np.ndarray]:
    """Arrays of a model file, refusing pickles and any missing, extra, odd or mistyped array."""
    try:
        with path.open("rb") as handle:  # our handle: np.load leaks its own on a bad zip
            archive = np.load(handle, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            with archive:
                arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise ModelFileError(not_found(path)) from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ModelFileError(f"{path} is not a valid .npz model file: {error}") from None
    if not all(isinstance(array, np.ndarray) for array in arrays.values()):
        raise ModelFileError(f"{path} holds a member that is not a .npy array")
    if set(arrays) != set(expected):
        raise ModelFileError(f"{path} holds arrays {sorted(arrays)}; expected {sorted(expected)}")
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ModelFileError(f"{path}: {name} has shape {array.shape}, expected {shape}")
        if array.dtype != np.dtype(dtype):
            raise ModelFileError(f"{path}: {name} holds {array.dtype}, expected {dtype}")
        if not np.isfinite(array).all():
            raise ModelFileError(f"{path}: {name} must hold finite floats")
    return arrays


def _read_sidecar(path: Path, model: str) -> dict[str, Any]:
    try:
        sidecar = read_json(path)
    except DataError as error:
        raise ModelFileError(str(error)) from None
    version = sidecar.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format_version {version!r}; this scratchnet reads {FORMAT_VERSION}: "
            "retrain with `dvc repro`"
        )
    if sidecar.get("model") != model:
        raise ModelFileError(f"{path} describes model {sidecar.get('model')!r}, expected {model!r}")
    return sidecar


def _count(path: Path, sidecar: Mapping[str, Any], key: str, minimum: int = 1) -> int:
    value = sidecar.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ModelFileError(f"{path}: {key} = {value!r} must be an integer >= {minimum}")
    return value


def read_network(npz: Path, sidecar_path: Path) -> Network:
    sidecar = _read_sidecar(sidecar_path, "nn")
    h = _count(sidecar_path, sidecar, "hidden_units")
    d = _count(sidecar_path, sidecar, "n_features")
    activation, dtype = sidecar.get("activation"), sidecar.get("dtype")
    if activation not in ACTIVATIONS:
        raise ModelFileError(f"{sidecar_path}: unknown activation {activation!r}")
    if dtype not in ("float32", "float64"):
        raise ModelFileError(f"{sidecar_path}: dtype {dtype!r} must be float32 or float64")
    shapes = {"w1": (h, d), "b1": (h, 1), "w2": (1, h), "b2": (1, 1)}
    arrays = _read_npz(npz, shapes, dtype)
    return Network.from_arrays(**arrays, activation=activation)


def read_logistic(npz: Path, sidecar_path: Path) -> LogisticModel:
    sidecar = _read_sidecar(sidecar_path, "logreg")
    d = _count(sidecar_path, sidecar, "n_features")
    arrays = _read_npz(npz, {"intercept": (1,), "coef": (d,)}, "float64")
    gradient_norm, separated = sidecar.get("gradient_norm"), sidecar.get("separated")
    if not isinstance(gradient_norm, float) or not math.isfinite(gradient_norm):
        raise ModelFileError(f"{sidecar_path}: gradient_norm = {gradient_norm!r} must be a number")
    if not isinstance(separated, bool):
        raise ModelFileError(f"{sidecar_path}: separated = {separated!r} must be true or false")
    return LogisticModel(
        intercept=float(arrays["intercept"][0]),
        coef=arrays["coef"],
        iterations=_count(sidecar_path, sidecar, "iterations", minimum=0),
        gradient_norm=gradient_norm,
        separated=separated,
    )
