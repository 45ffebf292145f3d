"""The scaler file: the training split's standardisation statistics as JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scratchnet.errors import DataError
from scratchnet.io import FORMAT_VERSION, encode_json, read_json
from scratchnet.split import Standardizer


def encode_scaler(scaler: Standardizer) -> bytes:
    return encode_json(
        {
            "format_version": FORMAT_VERSION,
            "mean": scaler.mean.tolist(),
            "scale": scaler.scale.tolist(),
        }
    )


def read_scaler(path: Path) -> Standardizer:
    document = read_json(path)
    if document.get("format_version") != FORMAT_VERSION:
        raise DataError(f"{path} has format_version {document.get('format_version')!r}")
    try:
        mean = np.array(document["mean"], dtype=np.float64)
        scale = np.array(document["scale"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{path} is not a scaler file: {error!r}") from None
    if (
        mean.shape != (2,)
        or scale.shape != (2,)
        or not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all())
    ):
        raise DataError(f"{path} must hold two finite means and two positive scales")
    return Standardizer(mean, scale)
