"""Model files: an uncompressed `.npz` of arrays plus a JSON sidecar, for any model.

Arrays are loaded with `allow_pickle=False`, so a crafted file cannot run code; the sidecar
carries a format version and the shapes, and every array is checked against them. The codecs
for each model (`nn_file`, `logreg_file`) build on these helpers, so code that handles one model
does not import the other.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.errors import DataError, ModelFileError
from scratchnet.io import FORMAT_VERSION, encode_json, encode_npz, not_found, read_json


def encode_model(
    model: str, arrays: Mapping[str, np.ndarray], sidecar: Mapping[str, Any]
) -> tuple[bytes, bytes]:
    """The `.npz` bytes of `arrays` and the JSON bytes of `sidecar` with version and model."""
    document = {"format_version": FORMAT_VERSION, "model": model, **sidecar}
    return encode_npz(arrays), encode_json(document)


def read_arrays(
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


def read_sidecar(path: Path, model: str) -> dict[str, Any]:
    """The JSON sidecar of a `model` file, checked for this scratchnet's format version."""
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


def count(path: Path, sidecar: Mapping[str, Any], key: str, minimum: int = 1) -> int:
    """The integer >= `minimum` stored under `key` in a sidecar."""
    value = sidecar.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ModelFileError(f"{path}: {key} = {value!r} must be an integer >= {minimum}")
    return value
