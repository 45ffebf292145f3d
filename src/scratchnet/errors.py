"""Exceptions that stage scripts turn into a one-line message and a non-zero exit."""


class ScratchnetError(Exception):
    """Base class: an expected failure caused by input, configuration or numerics."""


class ParamsError(ScratchnetError):
    """A params.yaml section is missing, has unknown keys, wrong types or out-of-range values."""


class DataError(ScratchnetError):
    """An input file is missing, malformed, or holds values the pipeline cannot use."""


class OutputError(ScratchnetError):
    """An output file cannot be written (permissions, a full disk, a folder in the way)."""


class ModelFileError(ScratchnetError):
    """A saved model has the wrong format version, shape or content."""


class TrainingDivergedError(ScratchnetError):
    """Gradient descent produced a non-finite cost."""
