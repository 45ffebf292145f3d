"""Tests of scratchnet.params: every section parses from params.yaml and rejects bad values."""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from pathlib import Path

import pytest

from scratchnet import paramsfile
from scratchnet.errors import ParamsError, quote
from scratchnet.params import (
    DataParams,
    EvaluateParams,
    LogRegParams,
    NNParams,
    PlotParams,
    SplitParams,
)

PARAMS_YAML = Path(__file__).resolve().parents[1] / "params.yaml"
SECTIONS = [DataParams, SplitParams, NNParams, LogRegParams, EvaluateParams, PlotParams]


@pytest.fixture
def document() -> dict:
    """A fresh copy of the project's real params.yaml, the valid baseline."""
    return paramsfile.read_params(PARAMS_YAML)


def with_value(document: dict, section: str, key: str, value: object) -> dict:
    """A copy of `document` with `section.key` set to `value`."""
    changed = copy.deepcopy(document)
    changed[section][key] = value
    return changed


def cls_of(section: str) -> type:
    """The dataclass that parses the params section called `section`."""
    return {name: cls for cls, name in paramsfile.SECTION_NAMES.items()}[section]


# --- valid sections -----------------------------------------------------------------------------


def test_every_section_class_has_a_name():
    """SECTION_NAMES maps each of the six section classes to its params.yaml key."""
    assert set(paramsfile.SECTION_NAMES) == set(SECTIONS)
    names = {"data", "split", "nn", "logreg", "evaluate", "plot"}
    assert set(paramsfile.SECTION_NAMES.values()) == names


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda cls: cls.__name__)
def test_real_params_yaml_parses(document, cls):
    """Each section of the real params.yaml builds its dataclass with the file's values."""
    name = paramsfile.SECTION_NAMES[cls]
    parsed = paramsfile.section(document, cls)
    assert isinstance(parsed, cls)
    assert dataclasses.asdict(parsed) == document[name]


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("nn", "learning_rate", 1),
        ("data", "noise", 0),
        ("logreg", "tol", 1),
        ("nn", "init_scale", 2),
    ],
)
def test_integer_for_float_is_accepted_as_float(document, section, key, value):
    """An integer where a number is expected is accepted and stored as a float."""
    parsed = paramsfile.section(with_value(document, section, key, value), cls_of(section))
    stored = getattr(parsed, key)
    assert type(stored) is float
    assert stored == value


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("nn", "hidden_units", 40.0),
        ("nn", "epochs", 6e4),
        ("nn", "batch_size", 64.0),
        ("data", "n_samples", 400.0),
        ("plot", "dpi", 100.0),
    ],
)
def test_integral_number_for_integer_is_the_same_integer(document, section, key, value):
    """`hidden_units: 40.0` is 40: DVC compares params by value, so `dvc status` calls it up to
    date, and the run must then be the run of 40 (an int, recorded in a model file as 40)."""
    parsed = paramsfile.section(with_value(document, section, key, value), cls_of(section))
    as_integer = paramsfile.section(with_value(document, section, key, int(value)), cls_of(section))
    assert type(getattr(parsed, key)) is int
    assert parsed == as_integer
    assert repr(paramsfile.recorded(parsed)) == repr(paramsfile.recorded(as_integer))


# --- unknown sections, unknown and missing keys --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "hint"),
    [("evalute", " (did you mean 'evaluate'?)"), ("nnn", " (did you mean 'nn'?)"), ("zzz", "")],
)
def test_unknown_section_is_refused_with_the_close_match(document, name, hint):
    """A section no stage reads (a typo that DVC would pass over in silence) is refused, naming
    it and the section it was probably meant to be."""
    document[name] = {"threshold": 0.3}
    with pytest.raises(ParamsError) as caught:
        paramsfile.check_sections(document)
    assert str(caught.value) == (
        f"unknown params section {name!r}{hint}: allowed sections are "
        "data, split, nn, logreg, evaluate, plot"
    )


def test_known_sections_pass_the_section_check(document):
    """The real params.yaml has only sections that stages read."""
    paramsfile.check_sections(document)


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda cls: cls.__name__)
def test_unknown_key_is_rejected(document, cls):
    """An extra key raises ParamsError naming section.key, its value and the allowed keys."""
    name = paramsfile.SECTION_NAMES[cls]
    document[name]["colour"] = "red"
    with pytest.raises(ParamsError) as caught:
        paramsfile.section(document, cls)
    message = str(caught.value)
    assert f"{name}.colour" in message
    assert "'red'" in message
    for field in dataclasses.fields(cls):
        assert field.name in message


REQUIRED = [
    (cls, field.name)
    for cls in SECTIONS
    for field in dataclasses.fields(cls)
    if field.default is dataclasses.MISSING
]
OPTIONAL = [
    (cls, field.name, field.default)
    for cls in SECTIONS
    for field in dataclasses.fields(cls)
    if field.default is not dataclasses.MISSING
]


@pytest.mark.parametrize(
    ("cls", "key"), REQUIRED, ids=lambda value: value if isinstance(value, str) else value.__name__
)
def test_missing_key_is_rejected(document, cls, key):
    """Each required field, when absent, raises ParamsError naming section.key and its type."""
    name = paramsfile.SECTION_NAMES[cls]
    del document[name][key]
    with pytest.raises(ParamsError) as caught:
        paramsfile.section(document, cls)
    message = str(caught.value)
    assert f"missing key {name}.{key}" in message
    assert "expected" in message


@pytest.mark.parametrize(
    ("cls", "key", "default"),
    OPTIONAL,
    ids=[f"{cls.__name__}-{key}" for cls, key, _ in OPTIONAL],
)
def test_missing_optional_key_takes_its_default(document, cls, key, default):
    """An optional key, when absent, takes its default, so older params files still read."""
    del document[paramsfile.SECTION_NAMES[cls]][key]
    assert getattr(paramsfile.section(document, cls), key) == default


def test_missing_section_is_rejected(document):
    """A params document without the section raises ParamsError naming it."""
    del document["nn"]
    with pytest.raises(ParamsError, match="no section 'nn'"):
        paramsfile.section(document, NNParams)


@pytest.mark.parametrize("raw", [None, [1, 2], "tanh", 3])
def test_section_that_is_not_a_mapping_is_rejected(document, raw):
    """A section holding a non-mapping raises ParamsError naming the section and the value."""
    document["logreg"] = raw
    with pytest.raises(ParamsError) as caught:
        paramsfile.section(document, LogRegParams)
    assert "'logreg'" in str(caught.value)
    assert repr(raw) in str(caught.value)


@pytest.mark.parametrize("document", [None, [], "params"])
def test_document_that_is_not_a_mapping_is_rejected(document):
    """An empty or non-mapping params document raises ParamsError, not a TypeError."""
    with pytest.raises(ParamsError, match="mapping of sections"):
        paramsfile.section(document, DataParams)


# --- wrong types and out-of-range values ---------------------------------------------------------

BAD_VALUES = [
    # wrong types
    ("data", "n_samples", "400", "an integer"),
    ("data", "n_samples", True, "an integer"),
    ("data", "n_samples", 400.5, "an integer"),
    ("nn", "epochs", math.inf, "an integer"),
    ("nn", "epochs", False, "an integer"),
    ("nn", "hidden_units", 40.5, "an integer"),
    ("nn", "hidden_units", None, "an integer"),
    ("nn", "learning_rate", "0.9", "a number"),
    ("nn", "learning_rate", True, "a number"),
    ("evaluate", "threshold", None, "a number"),
    ("split", "stratify", "yes", "true or false"),
    ("split", "standardize", 1, "true or false"),
    ("data", "kind", 3, "expected a string"),
    ("data", "file", 3, "expected a string or null"),
    # out of range
    ("nn", "learning_rate", 0.0, "> 0"),
    ("nn", "learning_rate", -0.5, "> 0"),
    ("nn", "epochs", 0, "from 1 to 100,000,000"),
    ("nn", "epochs", 10**9, "from 1 to 100,000,000"),
    ("nn", "hidden_units", 0, "from 1 to 100,000"),
    ("nn", "hidden_units", -3, "from 1 to 100,000"),
    ("nn", "hidden_units", 10**6, "from 1 to 100,000"),
    ("nn", "learning_rate", 10**400, "a number"),
    ("nn", "init_scale", 0.0, "a number from 2e-292"),
    ("nn", "init_scale", 5e-324, "a number from 2e-292 (below it float64 initial weights are"),
    ("nn", "seed", -1, ">= 0"),
    ("nn", "log_every", 0, ">= 1"),
    ("split", "test_size", 0.0, "0 < test_size < 1"),
    ("split", "test_size", 1.0, "0 < test_size < 1"),
    ("split", "test_size", 1.5, "0 < test_size < 1"),
    ("split", "seed", -2, ">= 0"),
    ("data", "n_samples", 3, "from 4 to 10,000,000"),
    ("data", "n_samples", 10**8, "from 4 to 10,000,000"),
    ("data", "noise", -0.1, "a number from 0 to 100"),
    ("data", "noise", 1.7e308, "a number from 0 to 100"),
    ("data", "seed", -1, ">= 0"),
    ("logreg", "max_iter", 0, ">= 1"),
    ("logreg", "tol", 0.0, "> 0"),
    ("evaluate", "threshold", 0.0, "0 < t < 1"),
    ("evaluate", "threshold", 1.0, "0 < t < 1"),
    ("plot", "grid_points", 9, "10..2000"),
    ("plot", "grid_points", 2001, "10..2000"),
    ("plot", "dpi", 29, "30..600"),
    ("plot", "dpi", 601, "30..600"),
    ("nn", "learning_rate", math.nan, "finite"),
    # unknown choices
    (
        "data",
        "kind",
        "swirl",
        "one of 'flower', 'moons', 'circles', 'xor', 'spirals', 'blobs', 'own' (your CSV file",
    ),
    ("data", "kind", "data/own/example.csv", "'own' (your CSV file, named in data.file)"),
    ("data", "file", "/etc/hosts.csv", "a file within the project, relative to it"),
    ("data", "file", "data/../../x.csv", "a file within the project, relative to it"),
    ("data", "file", " ", "a file within the project, relative to it"),
    ("nn", "activation", "softmax", "one of 'tanh', 'sigmoid', 'relu'"),
    ("nn", "activation", "Tanh", "one of 'tanh', 'sigmoid', 'relu'"),
    ("nn", "init", "xavier", "one of 'uniform', 'normal'"),
    ("nn", "dtype", "float16", "one of 'float64', 'float32'"),
    ("nn", "init_scale", 1e300, "to 1000"),
    ("nn", "hidden_units", [[1] * 10**3] * 10**3, "an integer"),  # as an alias bomb expands
]


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    BAD_VALUES,
    ids=[f"{section}.{key}={quote(value)}" for section, key, value, _ in BAD_VALUES],
)
def test_bad_value_is_rejected_with_key_value_and_allowed(document, section, key, value, allowed):
    """A wrong type or out-of-range value raises ParamsError naming key, value and allowed range."""
    with pytest.raises(ParamsError) as caught:
        paramsfile.section(with_value(document, section, key, value), cls_of(section))
    message = str(caught.value)
    assert f"{section}.{key}" in message
    assert quote(value) in message
    assert allowed in message
    assert len(message) < 200


@pytest.mark.parametrize(
    ("section", "key"),
    [("split", "test_size"), ("evaluate", "threshold")],
)
@pytest.mark.parametrize("value", [0, 1])
def test_integer_bounds_of_open_intervals_are_rejected(document, section, key, value):
    """Integer 0 and 1 (converted to float) are still outside the open interval (0, 1)."""
    with pytest.raises(ParamsError, match=rf"{section}\.{key} = {value}\.0 is out of range"):
        paramsfile.section(with_value(document, section, key, value), cls_of(section))


@pytest.mark.parametrize(
    ("section", "key"),
    [("nn", "learning_rate"), ("nn", "init_scale"), ("data", "noise"), ("logreg", "tol")],
)
def test_infinite_number_is_rejected(document, section, key):
    """A YAML `.inf` for a positive-number setting is out of range (it is not a usable number)."""
    with pytest.raises(ParamsError) as caught:
        paramsfile.section(with_value(document, section, key, math.inf), cls_of(section))
    assert f"{section}.{key}" in str(caught.value)
    assert "inf" in str(caught.value)


def test_direct_construction_validates_ranges():
    """Building a dataclass directly runs the same range checks as parsing."""
    with pytest.raises(ParamsError, match=r"data\.n_samples = 2 is out of range"):
        DataParams(kind="flower", n_samples=2, noise=0.2, seed=0)


def test_own_data_is_the_kind_own_reading_data_file():
    """`kind: own` reads the CSV that `file` names, which it requires; a generated kind ignores
    `file` (still checked: it is generate's dependency in dvc.yaml)."""
    own = DataParams("own", 400, 0.2, 0, file="data/own/example.csv")
    assert (own.kind, own.file) == ("own", "data/own/example.csv")
    with pytest.raises(ParamsError, match=r"data\.file = None .* with data\.kind 'own'"):
        DataParams("own", 400, 0.2, 0)
    assert DataParams("flower", 400, 0.2, 0, file="data/own/example.csv").file is not None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_init_scale_is_refused_where_initial_weights_would_be_subnormal(dtype):
    """The smallest init_scale accepted times the smallest positive uniform draw (2^-53) is
    the dtype's smallest normal float; one step below is refused."""
    import numpy as np

    from scratchnet.params import SMALLEST_NORMAL, UNIFORM_STEP

    assert SMALLEST_NORMAL[dtype] == np.finfo(dtype).smallest_normal
    draws = np.random.default_rng(0).random(10_000)
    assert np.array_equal(draws / UNIFORM_STEP, np.floor(draws / UNIFORM_STEP))
    smallest = SMALLEST_NORMAL[dtype] / UNIFORM_STEP
    config = NNParams(3, "tanh", 1, 0.1, "uniform", smallest, 0, 1, dtype)  # type: ignore[arg-type]
    weight = np.array(UNIFORM_STEP * config.init_scale, dtype=dtype)
    assert weight == np.finfo(dtype).smallest_normal
    with pytest.raises(ParamsError, match=rf"init_scale = .*below it {dtype} initial weights"):
        NNParams(3, "tanh", 1, 0.1, "uniform", np.nextafter(smallest, 0), 0, 1, dtype)  # type: ignore[arg-type]


# --- the params file -----------------------------------------------------------------------------


def written(path: Path, content: str | bytes | None) -> Path:
    """`path` holding `content` (None: no file)."""
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def error_message(call, path: Path) -> str:
    """The message of the ParamsError that `call(path)` raises, which must name `path`."""
    with pytest.raises(ParamsError) as caught:
        call(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


YAML_12 = [("k: 010", 10), ("k: 0x10", 16), ("k: 1:00", "1:00"), ("k: yes", "yes")]
YAML_12 += [("k: on", "on"), ("k: 1e-12", 1e-12), ("k: .5", 0.5), ("k: ~", None)]


@pytest.mark.parametrize(("text", "value"), [*YAML_12, ("", ...), ("# nothing set", ...)])
def test_read_params_uses_dvc_yaml_1_2_rules(tmp_path, text, value):
    """Values are read by DVC's YAML 1.2 rules; a file without params is {}."""
    read = paramsfile.read_params(written(tmp_path / "params.yaml", text + "\n"))
    assert repr(read) == repr({} if value is ... else {"k": value})  # repr: the types too


@pytest.mark.parametrize("text", ["0", "false", "[]", "- nn"])
def test_params_file_that_is_not_a_mapping_is_refused(tmp_path, text):
    """A document that is not a mapping of sections says so, whatever YAML value it is."""
    path = written(tmp_path / "params.yaml", text + "\n")
    message = error_message(lambda p: paramsfile.read_section(p, NNParams), path)
    assert "must hold a mapping of sections" in message


YAML_ERRORS = [
    ("nn:\n  seed: 1\n  seed: 2\n", "3:3", "duplicate key"),
    ("nn: [unclosed\n", "2:1", "expected ',' or ']'"),
    ("nn: @seed\n", "1:5", "cannot start any token"),
    # libyaml's wording (ruamel.yaml.clib, which DVC then uses too); the pure-Python parser says
    # "expected <block end>".
    ("nn:\n  seed: 1\n epochs: 2\n", "3:2", "did not find expected key|expected <block end>"),
    ("nn:\n  seed: \x07\n", "2:9", "character '\\\\x07' is not allowed"),
]


@pytest.mark.parametrize(("text", "where", "problem"), YAML_ERRORS)
def test_read_params_syntax_error_is_one_line_with_its_position(tmp_path, text, where, problem):
    """A YAML error is one line naming the file, line and column, and the problem."""
    path = written(tmp_path / "params.yaml", text)
    message = error_message(paramsfile.read_params, path)
    assert message.startswith(f"{path}:{where}: ")
    assert re.search(problem, message)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "problem"), [(None, "not found"), (b"nn:\n  init: \xff\n", "cannot be read")]
)
def test_read_params_unreadable_file(tmp_path, content, problem):
    """A missing or non-UTF-8 params file is a ParamsError naming it."""
    path = written(tmp_path / "params.yaml", content)
    assert problem in error_message(paramsfile.read_params, path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: &x [1, 2]\nb: *x\n", ":2:4: aliases (*x) are not allowed in params"),
        ("a: &x {k: 1}\nb:\n  <<: *x\n", ":3:7: aliases (*x) are not allowed in params"),
        ("a: " + "[" * 20 + "]" * 20 + "\n", ":1:23: nested deeper than 20 levels"),
    ],
    ids=["alias", "merge-key", "deep"],
)
def test_read_params_refuses_aliases_and_deep_nesting(tmp_path, text, problem):
    """Aliases and nesting beyond MAX_PARAMS_DEPTH are refused with their position."""
    path = written(tmp_path / "params.yaml", text)
    assert error_message(paramsfile.read_params, path) == f"{path}{problem}"


def test_read_params_accepts_nesting_up_to_the_limit(tmp_path):
    """Nesting of exactly MAX_PARAMS_DEPTH levels (the document mapping is one) is read."""
    depth = paramsfile.MAX_PARAMS_DEPTH - 1
    path = written(tmp_path / "params.yaml", "a: " + "[" * depth + "]" * depth + "\n")
    assert "a" in paramsfile.read_params(path)


def test_read_params_refuses_a_file_over_the_size_limit(tmp_path, monkeypatch):
    """A params file over MAX_PARAMS_BYTES is refused before it is parsed."""
    monkeypatch.setattr(paramsfile, "MAX_PARAMS_BYTES", 10)
    path = written(tmp_path / "params.yaml", "logreg: {max_iter: 3}\n")
    assert "is 22 bytes, more than the 10" in error_message(paramsfile.read_params, path)


def test_read_section_takes_a_str_path(tmp_path):
    """read_section takes a `str` path as well as a `pathlib.Path`."""
    written(tmp_path / "params.yaml", "logreg: {max_iter: 3, tol: 0.5}\n")
    assert paramsfile.read_section(f"{tmp_path}/params.yaml", LogRegParams).max_iter == 3
