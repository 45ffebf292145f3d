"""The logistic regression's model file: intercept and coefficients, and how the fit ended."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scratchnet.errors import ModelFileError
from scratchnet.logreg import LogisticModel
from scratchnet.model_files import count, encode_model, read_arrays, read_sidecar


def encode_logistic(model: LogisticModel) -> tuple[bytes, bytes]:
    """`.npz` of the intercept and coefficients and its JSON sidecar (how the fit ended)."""
    sidecar = {
        "n_features": int(model.coef.size),
        "iterations": model.iterations,
        "gradient_norm": model.gradient_norm,
        "separated": model.separated,
    }
    arrays = {"intercept": np.array([model.intercept]), "coef": model.coef}
    return encode_model("logreg", arrays, sidecar)


def read_logistic(npz: Path, sidecar_path: Path) -> LogisticModel:
    """The model saved by `encode_logistic`, every field and array checked."""
    sidecar = read_sidecar(sidecar_path, "logreg")
    d = count(sidecar_path, sidecar, "n_features")
    arrays = read_arrays(npz, {"intercept": (1,), "coef": (d,)}, "float64")
    gradient_norm, separated = sidecar.get("gradient_norm"), sidecar.get("separated")
    if not isinstance(gradient_norm, float) or not math.isfinite(gradient_norm):
        raise ModelFileError(f"{sidecar_path}: gradient_norm = {gradient_norm!r} must be a number")
    if not isinstance(separated, bool):
        raise ModelFileError(f"{sidecar_path}: separated = {separated!r} must be true or false")
    return LogisticModel(
        intercept=float(arrays["intercept"][0]),
        coef=arrays["coef"],
        iterations=count(sidecar_path, sidecar, "iterations", minimum=0),
        gradient_norm=gradient_norm,
        separated=separated,
    )
