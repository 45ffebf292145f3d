"""Exceptions that stage scripts turn into a one-line message and a non-zero exit, and how
those messages quote values."""

import reprlib


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


_QUOTE = reprlib.Repr()
_QUOTE.maxlevel, _QUOTE.maxlist, _QUOTE.maxdict = 1, 4, 4
_QUOTE.maxstring = _QUOTE.maxother = 60
_QUOTE.maxlong = 40


def quote(value: object) -> str:
    """`repr(value)`, shortened: an error message never quotes a huge or deeply nested value
    (a YAML alias bomb expands to billions of elements)."""
    return _QUOTE.repr(value)
