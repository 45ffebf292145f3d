"""Figures of experiments: a sweep on its own axis with the intervals, chance and the baseline
marked; seed replicates one dot a run beside their mean and spread."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import experiments, expfigures, seedgroups
from tests.exp_documents import (
    BASE_VALUES,
    entry,
    exp_show_document,
    group,
    seeds_document,
    with_intervals,
)


def swept(document: list[dict], param: str) -> list[experiments.Run]:
    runs, _ = experiments.sweep(experiments.parse(document), param)
    return runs


def test_figure_puts_a_numeric_sweep_on_its_axis() -> None:
    [ax] = expfigures.accuracy_figure(
        swept(exp_show_document(), "nn.hidden_units"), "nn.hidden_units"
    ).axes
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
        group(entry(str(i) * 40, f"exp-{value}", 0.9, **{key: value}))
        for i, value in enumerate(values, start=1)
    ]
    [ax] = expfigures.accuracy_figure(swept(document, f"nn.{key}"), f"nn.{key}").axes
    assert [tick.get_text() for tick in ax.get_xticklabels()] == labels
    assert ax.get_xlabel() == f"nn.{key}" and ax.get_xscale() == "linear"
    assert ax.get_title().startswith(f"Accuracy against nn.{key}")


def test_figure_shows_the_intervals_of_test_accuracy() -> None:
    """Error bars on both models' test accuracy (not on train accuracy, which has none)."""
    document = exp_show_document()
    with_intervals(document[1])
    for each in document[1]["experiments"]:
        with_intervals(each["revs"][0])
    [ax] = expfigures.accuracy_figure(swept(document, "nn.hidden_units"), "nn.hidden_units").axes
    bars = [container for container in ax.containers if hasattr(container, "has_yerr")]
    assert [container.get_label() for container in bars] == [
        "network test acc.",
        "logistic test acc.",
    ]
    _, _, [lines] = bars[0]
    spans = [segment[:, 1] for segment in lines.get_segments()]  # x order: 3, 20, 40
    assert np.allclose(spans[2], [83.13, 95.37])
    assert "95 % Wilson intervals" in ax.get_title()


@pytest.mark.parametrize("sweep", ["nn.hidden_units", None])
def test_figure_marks_chance_and_the_baseline(sweep: str | None) -> None:
    """22.7: a dashed line at 50 % (a coin flip's accuracy on any class balance) and a dotted
    one through the baseline's value (or its position among named runs), both in the legend."""
    document = exp_show_document()
    if sweep:
        runs = swept(document, sweep)
    else:
        runs = experiments.named(experiments.parse(document), ["exp-slow", "exp-three"])
    [ax] = expfigures.accuracy_figure(runs, sweep).axes
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert expfigures.CHANCE_LABEL in legend
    marked = "the baseline (nn.hidden_units=40)" if sweep else "the baseline"
    assert marked in legend
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines[expfigures.CHANCE_LABEL].get_ydata()) == [50, 50]
    assert list(lines[marked].get_xdata()) == ([40, 40] if sweep else [0, 0])
    assert ax.get_ylim()[0] < 50  # chance in view


def test_seeds_figure_shows_every_run_and_the_spread() -> None:
    groups, _ = seedgroups.seed_groups(experiments.parse(seeds_document()))
    [ax] = expfigures.seeds_figure(groups).axes
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert sum(line.get_ydata().size for line in dots) == 2 * 5  # two models, five runs
    assert [label.get_text() for label in ax.get_xticklabels()] == [
        "the baseline\n3 runs",
        "nn.hidden_units=3\n2 runs",
    ]
    bars = [container for container in ax.containers if hasattr(container, "has_yerr")]
    _, _, [lines] = bars[0]  # the network's mean ± sd, baseline first
    replicates = [91.25, 87.5, 90.0]  # the baseline's, as in test_seeds_table_is_hand_worked
    mean, sd = np.mean(replicates), np.std(replicates, ddof=1)
    assert np.allclose(lines.get_segments()[0][:, 1], [mean - sd, mean + sd])


def test_equal_accuracies_sit_side_by_side() -> None:
    offsets = expfigures.spread_out(np.array([90.0, 87.5, 90.0, 90.0]), 0.1)
    assert np.allclose(offsets, [-0.1, 0.0, 0.0, 0.1])
