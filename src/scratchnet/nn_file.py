"""The network's model file: W1, b1, W2, b2 in an `.npz`, shapes and training summary beside."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scratchnet.errors import ModelFileError
from scratchnet.model_files import count, encode_model, read_arrays, read_sidecar
from scratchnet.nn import ACTIVATIONS, Network


def encode_network(net: Network, metadata: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """`.npz` of W1, b1, W2, b2 and a JSON sidecar: format version, shapes, training summary."""
    sidecar = {
        "activation": net.activation,
        "hidden_units": net.hidden_units,
        "n_features": net.n_features,
        "dtype": str(net.flat.dtype),
        **metadata,
    }
    return encode_model("nn", net.arrays(), sidecar)


def read_network(npz: Path, sidecar_path: Path) -> Network:
    """The network saved by `encode_network`, every field and array checked."""
    sidecar = read_sidecar(sidecar_path, "nn")
    h = count(sidecar_path, sidecar, "hidden_units")
    d = count(sidecar_path, sidecar, "n_features")
    activation, dtype = sidecar.get("activation"), sidecar.get("dtype")
    if activation not in ACTIVATIONS:
        raise ModelFileError(f"{sidecar_path}: unknown activation {activation!r}")
    if dtype not in ("float32", "float64"):
        raise ModelFileError(f"{sidecar_path}: dtype {dtype!r} must be float32 or float64")
    shapes = {"w1": (h, d), "b1": (h, 1), "w2": (1, h), "b2": (1, 1)}
    arrays = read_arrays(npz, shapes, dtype)
    return Network.from_arrays(**arrays, activation=activation)
