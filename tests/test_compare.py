"""The hidden-size report reads `dvc exp show --json` the way DVC 3 writes it."""

from __future__ import annotations

import pytest

from scratchnet.errors import DataError
from tools import compare


def entry(
    rev: str, name: str | None, units: int, train: float, test: float, **extra: object
) -> dict:
    metrics = {"accuracy": test, "train_accuracy": train, "log_loss": 0.25, "roc_auc": 0.9}
    return {
        "rev": rev,
        "name": name,
        "error": None,
        "experiments": None,
        "data": {
            "params": {"params.yaml": {"data": {"nn": {"hidden_units": units}}}},
            "metrics": {compare.METRICS: {"data": {"nn": metrics, "logreg": metrics}}},
        },
        **extra,
    }


def exp_show_document() -> list[dict]:
    """Workspace, a baseline with three experiments (one failed), as `dvc exp show --json`."""
    failed = entry("c" * 40, "broken", 7, 0.0, 0.0)
    failed["error"] = {"type": "ReproductionError", "msg": "failed"}
    baseline = entry("a" * 40, "main", 40, 0.9875, 0.9125)
    baseline["experiments"] = [
        {
            "name": "sweep",
            "executor": None,
            "revs": [
                entry("b" * 40, "exp-five", 5, 0.93, 0.925),
                entry("d" * 40, "exp-one", 1, 0.6, 0.55),
                failed,
            ],
        }
    ]
    return [entry("workspace", None, 40, 0.5, 0.5), baseline]


def test_runs_are_committed_results_sorted_by_hidden_units() -> None:
    """The workspace and failed experiments are left out; the rest are ordered by size."""
    runs = compare.runs_from_exp_show(exp_show_document())
    assert [(run.name, run.hidden_units) for run in runs] == [
        ("exp-one", 1),
        ("exp-five", 5),
        ("main", 40),
    ]
    assert runs[0].rev == "d" * 7 and runs[0].test_accuracy == 0.55


def test_markdown_table_has_one_row_per_run() -> None:
    table = compare.markdown_table(compare.runs_from_exp_show(exp_show_document()))
    lines = table.splitlines()
    assert len(lines) == 2 + 3
    assert lines[2] == "| 1 | exp-one (ddddddd) | 60.00% | 55.00% | 0.250 | 0.900 |"


def test_figure_plots_train_and_test_against_units() -> None:
    figure = compare.accuracy_figure(compare.runs_from_exp_show(exp_show_document()))
    [ax] = figure.axes
    assert [line.get_label() for line in ax.get_lines()] == ["train accuracy", "test accuracy"]
    assert list(ax.get_lines()[1].get_xdata()) == [1, 5, 40]
    assert ax.get_xscale() == "log"


def test_no_runs_is_an_error() -> None:
    with pytest.raises(DataError, match="no committed run"):
        compare.runs_from_exp_show([entry("workspace", None, 40, 0.5, 0.5)])
