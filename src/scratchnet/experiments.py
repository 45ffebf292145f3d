"""Experiments as `dvc exp show --json` lists them: the document's shape checked, each run's
params and metrics, and which runs a report takes, with a note for every run it leaves out.

The baseline is the first commit the document lists (not the workspace); its experiments are
the runs under it. A queued or running experiment is never a result: DVC lists it with the
metrics file of the commit it was queued on (that file is in git), not its own.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from scratchnet.errors import DataError, quote

METRICS = "reports/metrics.json"
PARAMS = "params.yaml"
SEEDS = ("data.seed", "split.seed", "nn.seed")
"""The parameters that draw the data, split it and initialise the network: runs that differ in
these alone are replicates of one configuration."""
TEST_ACCURACY = {"nn.accuracy": "network", "logreg.accuracy": "logistic"}
"""The two models' test accuracies, by the name reports give each model."""


@dataclasses.dataclass(frozen=True)
class Run:
    """One committed result: its label, its params and numeric metrics (flattened to dotted
    keys), and when it ran."""

    name: str
    params: dict[str, Any]
    metrics: dict[str, float]
    timestamp: str = ""


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The baseline's run, its experiments that have results (by name), and why each of the
    others has none (failed, queued, running, no metrics), by name."""

    run: Run
    experiments: dict[str, Run]
    without_results: dict[str, str]

    @property
    def left_out(self) -> list[str]:
        """A note for each experiment without results."""
        return [f"{name} left out: {why}" for name, why in self.without_results.items()]


def format_value(value: Any) -> str:
    """A parameter value as params.yaml writes it: null, true/false, numbers and text plain."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def describe(key: str, value: Any) -> str:
    return f"{key}={format_value(value)}"


def differences(baseline: Run, run: Run) -> list[str]:
    """The parameters whose value in `run` is not the baseline's (added or removed ones too)."""
    keys = baseline.params.keys() | run.params.keys()
    return sorted(key for key in keys if baseline.params.get(key) != run.params.get(key))


# --- reading the document ------------------------------------------------------------------


_NOT_EXP_SHOW = "not a `dvc exp show --json` document"
_KINDS: dict[type, str] = {list: "a list", dict: "an object", str: "a string"}


def _field(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """`entry[key]` if it is a `kind` (None if absent or null), else a DataError naming it."""
    value = entry.get(key)
    if value is not None and not isinstance(value, kind):
        raise DataError(
            f"{_NOT_EXP_SHOW}: {where}.{key} must be {_KINDS[kind]}, not {quote(value)}"
        )
    return value


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    """`value`, a list of objects, or a DataError naming the first thing that is not one."""
    if not isinstance(value, list):
        raise DataError(f"{_NOT_EXP_SHOW}: {where} must be a list, not {quote(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise DataError(
                f"{_NOT_EXP_SHOW}: {where}[{index}] must be an object, not {quote(item)}"
            )
    return value


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _file_data(data: Mapping[str, Any], kind: str, path: str, where: str) -> dict[str, Any]:
    """The flattened contents DVC read from `path` (a params or metrics file), or {}."""
    files = _field(data, kind, dict, where) or {}
    result = _field(files, path, dict, f"{where}.{kind}") or {}
    return _flatten(_field(result, "data", dict, f"{where}.{kind}.{path}") or {})


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _run(entry: dict[str, Any], name: str, where: str) -> Run | str:
    """The run of an entry, or why it has no result."""
    error = _field(entry, "error", dict, where)
    if error is not None:
        return f"failed ({error.get('type') or error.get('msg') or 'an error'})"
    data = _field(entry, "data", dict, where) or {}
    params = _file_data(data, "params", PARAMS, f"{where}.data")
    metrics = _file_data(data, "metrics", METRICS, f"{where}.data")
    if not params:
        return f"no {PARAMS}"
    if not metrics:
        return f"no {METRICS}"
    numbers = {key: float(value) for key, value in metrics.items() if _number(value)}
    return Run(name, params, numbers, str(_field(data, "timestamp", str, f"{where}.data") or ""))


def parse(document: Any) -> Baseline:
    """The baseline of a `dvc exp show --json` document and its experiments; a document of
    another shape is a DataError naming the first field that is wrong."""
    entries = _items(document, "the document")
    commits = [
        (index, entry) for index, entry in enumerate(entries) if entry.get("rev") != "workspace"
    ]
    if not commits:
        raise DataError("dvc exp show lists no commit: run `dvc exp run` on a committed project")
    index, commit = commits[0]
    experiments: dict[str, Run] = {}
    without_results: dict[str, str] = {}
    groups = _items(
        _field(commit, "experiments", list, f"[{index}]") or [], f"[{index}].experiments"
    )
    for number, group in enumerate(groups):
        where = f"[{index}].experiments[{number}]"
        executor = _field(group, "executor", dict, where) or {}
        state = _field(executor, "state", str, f"{where}.executor")
        for position, entry in enumerate(_items(_field(group, "revs", list, where) or [], where)):
            rev = _field(entry, "rev", str, f"{where}.revs[{position}]") or "?"
            name = entry.get("name") or group.get("name") or rev[:7]
            if state in ("queued", "running"):
                run: Run | str = state
            else:
                run = _run(entry, str(name), f"{where}.revs[{position}]")
            if isinstance(run, str):
                without_results[str(name)] = run
            else:
                experiments[run.name] = run
    baseline = _run(commit, "baseline", f"[{index}]")
    if isinstance(baseline, str):
        raise DataError(f"the baseline has {baseline}: nothing to compare against")
    return Baseline(baseline, experiments, without_results)


# --- choosing runs -------------------------------------------------------------------------


def newest(runs: list[Run], key: Callable[[Run], str]) -> tuple[list[Run], list[str]]:
    """For each `key` (a description of what the runs share), the newest run; and a note for
    each run left out because a newer one has the same key."""
    newest: dict[str, Run] = {}
    notes = []
    for run in sorted(runs, key=lambda run: (run.timestamp, run.name)):
        described = key(run)
        older = newest.get(described)
        if older is not None:
            notes.append(
                f"{described}: {run.name} is newer than {older.name}, which is left out "
                f"(name experiments to choose)"
            )
        newest[described] = run
    return list(newest.values()), notes


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers in numeric order, before anything else in text order."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return (0, value) if numeric else (1, format_value(value))


def changed_columns(runs: list[Run]) -> list[str]:
    """Every parameter that differs from the baseline (the first run) in some run."""
    return sorted({key for run in runs[1:] for key in differences(runs[0], run)})


def _in_order(baseline: Run, runs: list[Run]) -> list[Run]:
    """The baseline, then `runs` by the values of the parameters that differ, then name."""
    columns = changed_columns([baseline, *runs])

    def order(run: Run) -> list[tuple[int, Any]]:
        return [*(sort_key(run.params.get(column)) for column in columns), (1, run.name)]

    return [baseline, *sorted(runs, key=order)]


def sweep(baseline: Baseline, param: str) -> tuple[list[Run], list[str]]:
    """The baseline and its experiments that differ from it in `param` alone (for a value run
    twice, the newest), in order of `param`; and a note for every experiment left out."""
    if param not in baseline.run.params:
        raise DataError(f"{param} is not a parameter in {PARAMS}")
    runs, notes = [], list(baseline.left_out)
    for run in baseline.experiments.values():
        changed = differences(baseline.run, run)
        if changed == [param]:
            runs.append(run)
        elif param in changed:
            others = ", ".join(key for key in changed if key != param)
            notes.append(f"{run.name} left out: changes {others} besides {param}")
        else:
            notes.append(f"{run.name} left out: does not change {param}")
    if not runs:
        raise DataError(f"no experiment of the baseline differs from it in {param} alone")
    runs, newer = newest(runs, lambda run: f"{param} = {format_value(run.params[param])}")
    return _in_order(baseline.run, runs), notes + newer


def named(baseline: Baseline, names: list[str]) -> list[Run]:
    """The baseline and the experiments named, in order of the parameters that differ."""
    for name in names:
        if name in baseline.without_results:
            raise DataError(
                f"experiment {quote(name)} has no results: {baseline.without_results[name]}"
            )
        if name not in baseline.experiments:
            found = ", ".join(sorted(baseline.experiments)) or "none"
            raise DataError(f"no experiment named {quote(name)} on the baseline (found {found})")
    return _in_order(baseline.run, [baseline.experiments[name] for name in names])


def ranked(baseline: Baseline) -> list[Run]:
    """The baseline and every experiment with results, best network test accuracy first (ties:
    better logistic regression, then name)."""

    def order(run: Run) -> tuple[float, float, str]:
        network, logistic = (run.metrics.get(key, -math.inf) for key in TEST_ACCURACY)
        return -network, -logistic, run.name

    return sorted([baseline.run, *baseline.experiments.values()], key=order)
