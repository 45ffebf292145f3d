"""The comparison tool reads `dvc exp show --json` as DVC 3 writes it, never mixes runs, shows
test accuracy with its interval, and summarises configurations over their seeds."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet.errors import DataError
from tools import compare

BASE_VALUES = {"optimizer": "gd", "batch_size": None}
"""The values of the swept keys in params.yaml at the defaults."""
BASE = {
    "data": {"seed": 69},
    "nn": {"hidden_units": 40, "learning_rate": 0.9, "seed": 69},
    "split": {"seed": 69},
}


def entry(rev: str, name: str | None, accuracy: float, split_seed: int = 69, **nn: object) -> dict:
    metrics = {
        "nn": {"accuracy": accuracy, "train_accuracy": 0.9, "log_loss": 0.25, "roc_auc": 0.9},
        "logreg": {"accuracy": 0.5875},
    }
    params = {**BASE, "nn": {**BASE["nn"], **nn}, "split": {"seed": split_seed}}
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
    ("key", "values", "labels"),
    [
        ("optimizer", ["momentum", "adam"], ["gd", "adam", "momentum"]),
        ("batch_size", [64, 256], ["null", "64", "256"]),
    ],
)
def test_figure_puts_a_sweep_of_other_values_on_a_categorical_axis(key, values, labels) -> None:
    """nn.optimizer's names, or nn.batch_size's null beside numbers: one position per value,
    labelled with it (null for the full batch), the parameter as the axis label."""
    document = exp_show_document()
    baseline = document[1]
    baseline["data"]["params"]["params.yaml"]["data"]["nn"][key] = BASE_VALUES[key]
    baseline["experiments"] = [
        {"name": f"exp-{value}", "executor": None, "revs": [entry(str(i) * 40, f"exp-{value}",
         0.9, **{key: value})]}
        for i, value in enumerate(values, start=1)
    ]  # fmt: skip
    runs, _ = compare.select_runs(document, [], f"nn.{key}")
    [ax] = compare.accuracy_figure(runs, f"nn.{key}").axes
    assert [tick.get_text() for tick in ax.get_xticklabels()] == labels
    assert ax.get_xlabel() == f"nn.{key}" and ax.get_xscale() == "linear"
    assert ax.get_title().startswith(f"Accuracy against nn.{key}")


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


def with_intervals(revision: dict) -> dict:
    """The entry with the 95 % intervals evaluate writes beside test accuracy and ROC AUC."""
    metrics = revision["data"]["metrics"][compare.METRICS]["data"]
    metrics["nn"].update(
        accuracy_lower=metrics["nn"]["accuracy"] - 0.0812,  # 83.13 %: no rounding tie
        accuracy_upper=metrics["nn"]["accuracy"] + 0.0412,
        roc_auc_lower=0.85,
        roc_auc_upper=0.95,
    )
    metrics["logreg"].update(accuracy_lower=0.478, accuracy_upper=0.689)
    return revision


def test_table_and_figure_show_the_intervals_of_test_accuracy() -> None:
    """Cells read "value (lower–upper)"; the figure draws them as error bars on both models'
    test accuracy (not on train accuracy, which has none)."""
    document = exp_show_document()
    with_intervals(document[1])
    for group in document[1]["experiments"]:
        with_intervals(group["revs"][0])
    runs, _ = compare.select_runs(document, [], "nn.hidden_units")
    rows = compare.markdown_table(runs).splitlines()[2:]
    assert rows[0] == (
        "| baseline | 40 | 90.00% | 91.25% (83.1–95.4%) | 0.250 | 0.900 (0.850–0.950) "
        "| 58.75% (47.8–68.9%) |"
    )
    [ax] = compare.accuracy_figure(runs, "nn.hidden_units").axes
    bars = [container for container in ax.containers if hasattr(container, "has_yerr")]
    assert [container.get_label() for container in bars] == [
        "network test acc.",
        "logistic test acc.",
    ]
    _, _, [lines] = bars[0]
    spans = [segment[:, 1] for segment in lines.get_segments()]  # x order: 3, 20, 40
    assert np.allclose(spans[2], [83.13, 95.37])
    assert "95 % Wilson intervals" in ax.get_title()


def seeds_document() -> list[dict]:
    """A baseline with seed replicates of itself and of 3 hidden units, a replicate run twice,
    a one-off sweep run, and a run of another learning rate."""
    baseline = entry("a" * 40, "main", 0.9125)
    runs = [
        ("s1", 0.875, {"split_seed": 1, "seed": 1}, "2026-01-01T10:00:00"),
        ("s2", 0.9, {"split_seed": 2, "seed": 2}, "2026-01-01T10:00:00"),
        ("s2-again", 0.9, {"split_seed": 2, "seed": 2}, "2026-01-02T10:00:00"),
        ("h3-s1", 0.925, {"split_seed": 1, "seed": 1, "hidden_units": 3}, ""),
        ("h3-s2", 0.95, {"split_seed": 2, "seed": 2, "hidden_units": 3}, ""),
        ("h5", 0.9, {"hidden_units": 5}, ""),
    ]
    baseline["experiments"] = []
    for name, accuracy, changes, stamp in runs:
        revision = entry(name * 3, name, accuracy, **changes)
        revision["data"]["timestamp"] = stamp
        baseline["experiments"].append({"name": name, "executor": None, "revs": [revision]})
    return [entry("workspace", None, 0.5), baseline]


def test_seeds_group_runs_by_everything_but_the_seeds() -> None:
    groups, notes = compare.seed_groups(seeds_document())
    assert [(group.label, [run.name for run in group.runs]) for group in groups] == [
        ("baseline", ["baseline", "s1", "s2-again"]),
        ("nn.hidden_units=3", ["h3-s1", "h3-s2"]),
    ]
    assert groups[0].varied == ["split.seed", "nn.seed"]
    assert notes == [
        "baseline with data.seed=69, split.seed=2, nn.seed=2: s2-again is newer than s2, "
        "which is left out (name experiments to choose)",
        "ran with one set of seeds only, left out: nn.hidden_units=5",
    ]


def test_seeds_table_is_hand_worked() -> None:
    """Baseline replicates 91.25, 87.5, 90 %: mean 89.58 %, sd √((1.667² + 2.083² + 0.417²)/2)
    = 1.91 points; logistic regression 58.75 % every time, sd 0. Three units: 92.5 and 95 %,
    mean 93.75 %, sd 2.5/√2 = 1.77 points."""
    groups, _ = compare.seed_groups(seeds_document())
    table = compare.seeds_table(groups).splitlines()
    assert table[0] == (
        "| configuration | runs | seeds varied | network test acc. mean | network test acc. sd "
        "| network test acc. min | network test acc. max | logistic test acc. mean "
        "| logistic test acc. sd | logistic test acc. min | logistic test acc. max |"
    )
    assert table[2] == (
        "| baseline | 3 | split.seed, nn.seed | 89.58% | 1.91% | 87.50% | 91.25% "
        "| 58.75% | 0.00% | 58.75% | 58.75% |"
    )
    assert table[3].startswith("| nn.hidden_units=3 | 2 | split.seed, nn.seed | 93.75% | 1.77% |")


def test_seeds_figure_shows_every_run_and_the_spread() -> None:
    groups, _ = compare.seed_groups(seeds_document())
    [ax] = compare.seeds_figure(groups).axes
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert sum(line.get_ydata().size for line in dots) == 2 * 5  # two models, five runs
    assert [label.get_text() for label in ax.get_xticklabels()] == [
        "baseline\n3 runs",
        "nn.hidden_units=3\n2 runs",
    ]
    bars = [container for container in ax.containers if hasattr(container, "has_yerr")]
    _, _, [lines] = bars[0]  # the network's mean ± sd, baseline first
    replicates = [91.25, 87.5, 90.0]  # the baseline's, as in test_seeds_table_is_hand_worked
    mean, sd = np.mean(replicates), np.std(replicates, ddof=1)
    assert np.allclose(lines.get_segments()[0][:, 1], [mean - sd, mean + sd])


def test_equal_accuracies_sit_side_by_side() -> None:
    offsets = compare._spread_out(np.array([90.0, 87.5, 90.0, 90.0]), 0.1)
    assert np.allclose(offsets, [-0.1, 0.0, 0.0, 0.1])


def test_seeds_without_replicates_is_an_error() -> None:
    with pytest.raises(DataError, match="no configuration ran with more than one set of seeds"):
        compare.seed_groups(exp_show_document())
