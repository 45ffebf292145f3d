"""The comparison tool reads `dvc exp show --json` as DVC 3 writes it and never mixes runs."""

from __future__ import annotations

import pytest

from scratchnet.errors import DataError
from tools import compare

BASE = {"nn": {"hidden_units": 40, "learning_rate": 0.9}, "split": {"seed": 69}}


def entry(rev: str, name: str | None, accuracy: float, **nn: object) -> dict:
    metrics = {
        "nn": {"accuracy": accuracy, "train_accuracy": 0.9, "log_loss": 0.25, "roc_auc": 0.9},
        "logreg": {"accuracy": 0.5875},
    }
    params = {**BASE, "nn": {**BASE["nn"], **nn}}
    return {
        "rev": rev,
        "name": name,
        "error": None,
        "experiments": None,
        "data": {
            "params": {"params.yaml": {"data": params}},
            "metrics": {compare.METRICS: {"data": metrics}},
        },
    }


def exp_show_document() -> list[dict]:
    """Workspace and a baseline with a hidden-size sweep, an unrelated run and a failed one."""
    failed = entry("c" * 40, "broken", 0.0, hidden_units=7)
    failed["error"] = {"type": "ReproductionError", "msg": "failed"}
    baseline = entry("a" * 40, "main", 0.9125)
    baseline["experiments"] = [
        {"name": name, "executor": None, "revs": [revision]}
        for name, revision in [
            ("exp-twenty", entry("b" * 40, "exp-twenty", 0.8875, hidden_units=20)),
            ("exp-three", entry("d" * 40, "exp-three", 0.9375, hidden_units=3)),
            ("exp-slow", entry("e" * 40, "exp-slow", 0.85, learning_rate=0.3)),
            ("exp-both", entry("f" * 40, "exp-both", 0.8, hidden_units=4, learning_rate=0.3)),
            ("broken", failed),
        ]
    ]
    return [entry("workspace", None, 0.5, hidden_units=99), baseline]


def test_sweep_takes_the_runs_that_differ_in_that_parameter_alone() -> None:
    runs, notes = compare.select_runs(exp_show_document(), [], "nn.hidden_units")
    assert [run.name for run in runs] == ["baseline", "exp-three", "exp-twenty"]
    assert notes == []
    table = compare.markdown_table(runs).splitlines()
    assert table[0].startswith("| run | nn.hidden_units | network train acc.")
    assert table[2:] == [
        "| baseline | 40 | 90.00% | 91.25% | 0.250 | 0.900 | 58.75% |",
        "| exp-three | 3 | 90.00% | 93.75% | 0.250 | 0.900 | 58.75% |",
        "| exp-twenty | 20 | 90.00% | 88.75% | 0.250 | 0.900 | 58.75% |",
    ]


def test_a_value_run_twice_keeps_the_newer_run_and_says_so() -> None:
    document = exp_show_document()
    again = entry("9" * 40, "exp-three-again", 0.9, hidden_units=3)
    document[1]["experiments"].append({"name": "again", "executor": None, "revs": [again]})
    stamps = {"exp-three": "2026-01-01T10:00:00", "exp-three-again": "2026-01-02T10:00:00"}
    for group in document[1]["experiments"]:
        revision = group["revs"][0]
        revision["data"]["timestamp"] = stamps.get(revision["name"], "2025-12-31T10:00:00")
    runs, notes = compare.select_runs(document, [], "nn.hidden_units")
    assert [run.name for run in runs] == ["baseline", "exp-three-again", "exp-twenty"]
    assert notes == [
        "nn.hidden_units = 3: exp-three-again is newer than exp-three, which is left out "
        "(name experiments to choose)"
    ]


def test_named_runs_label_every_parameter_that_differs() -> None:
    runs, _ = compare.select_runs(exp_show_document(), ["exp-slow", "exp-three"], None)
    assert [run.name for run in runs] == ["baseline", "exp-three", "exp-slow"]
    header = compare.markdown_table(runs).splitlines()[0]
    assert "| nn.hidden_units | nn.learning_rate |" in header


def test_figure_puts_a_numeric_sweep_on_its_axis() -> None:
    runs, _ = compare.select_runs(exp_show_document(), [], "nn.hidden_units")
    [ax] = compare.accuracy_figure(runs, "nn.hidden_units").axes
    assert list(ax.get_lines()[1].get_xdata()) == [3, 20, 40]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "nn.hidden_units"


@pytest.mark.parametrize(
    ("names", "sweep", "problem"),
    [
        (["exp-nine"], None, "no experiment named 'exp-nine'"),
        ([], "nn.colour", "nn.colour is not a parameter"),
        ([], "split.seed", "no experiment of the baseline differs from it in split.seed alone"),
    ],
)
def test_nothing_to_compare_is_an_error(names, sweep, problem) -> None:
    with pytest.raises(DataError, match=problem):
        compare.select_runs(exp_show_document(), names, sweep)
