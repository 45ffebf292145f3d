"""Reading `dvc exp show --json` and choosing runs: a document of another shape is one clear
error, runs without results never mix in, and every run a report leaves out is named with
the reason."""

from __future__ import annotations

import pytest

from scratchnet import experiments, seedgroups
from scratchnet.errors import DataError
from tests.exp_documents import entry, exp_show_document, group, seeds_document


def parsed(document: list[dict] | None = None) -> experiments.Baseline:
    return experiments.parse(exp_show_document() if document is None else document)


def test_sweep_takes_the_runs_that_differ_in_that_parameter_alone_and_names_the_others() -> None:
    """22.1: the runs left out are named, with the reason: another parameter changed too, not
    the swept one at all, or no results."""
    runs, notes = experiments.sweep(parsed(), "nn.hidden_units")
    assert [run.name for run in runs] == ["baseline", "exp-three", "exp-twenty"]
    assert notes == [
        "broken left out: failed (ReproductionError)",
        "exp-slow left out: does not change nn.hidden_units",
        "exp-both left out: changes nn.learning_rate besides nn.hidden_units",
    ]


@pytest.mark.parametrize("state", ["queued", "running"])
def test_queued_and_running_experiments_are_not_results(state: str) -> None:
    """DVC lists a queued experiment with the metrics file of the commit it was queued on (the
    file is in git): taking it would show the baseline's accuracy for hidden_units=2."""
    document = exp_show_document()
    pending = entry("9" * 40, "exp-two", 0.9125, hidden_units=2)
    document[1]["experiments"].append(group(pending, state))
    runs, notes = experiments.sweep(parsed(document), "nn.hidden_units")
    assert "exp-two" not in [run.name for run in runs]
    assert f"exp-two left out: {state}" in notes


def test_an_experiment_without_metrics_is_left_out_not_fatal() -> None:
    document = exp_show_document()
    revision = entry("9" * 40, "exp-two", 0.9, hidden_units=2)
    revision["data"]["metrics"] = {}
    document[1]["experiments"].append(group(revision))
    runs, notes = experiments.sweep(parsed(document), "nn.hidden_units")
    assert [run.name for run in runs] == ["baseline", "exp-three", "exp-twenty"]
    assert "exp-two left out: no reports/metrics.json" in notes


def test_a_value_run_twice_keeps_the_newer_run_and_says_so() -> None:
    document = exp_show_document()
    document[1]["experiments"].append(
        group(entry("9" * 40, "exp-three-again", 0.9, hidden_units=3))
    )
    stamps = {"exp-three": "2026-01-01T10:00:00", "exp-three-again": "2026-01-02T10:00:00"}
    for each in document[1]["experiments"]:
        revision = each["revs"][0]
        revision["data"]["timestamp"] = stamps.get(revision["name"], "2025-12-31T10:00:00")
    runs, notes = experiments.sweep(parsed(document), "nn.hidden_units")
    assert [run.name for run in runs] == ["baseline", "exp-three-again", "exp-twenty"]
    assert notes[-1] == (
        "nn.hidden_units = 3: exp-three-again is newer than exp-three, which is left out "
        "(name experiments to choose)"
    )


def test_named_runs_come_in_order_of_what_they_change() -> None:
    runs = experiments.named(parsed(), ["exp-slow", "exp-three"])
    assert [run.name for run in runs] == ["baseline", "exp-three", "exp-slow"]
    assert experiments.changed_columns(runs) == ["nn.hidden_units", "nn.learning_rate"]


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda b: experiments.named(b, ["exp-nine"]), "no experiment named 'exp-nine'"),
        (lambda b: experiments.named(b, ["broken"]), "'broken' has no results: failed"),
        (lambda b: experiments.sweep(b, "nn.colour"), "nn.colour is not a parameter"),
        (
            lambda b: experiments.sweep(b, "split.seed"),
            "no experiment of the baseline differs from it in split.seed alone",
        ),
        (seedgroups.seed_groups, "no configuration ran with more than one set of seeds"),
    ],
)
def test_nothing_to_compare_is_an_error(call, problem) -> None:
    with pytest.raises(DataError, match=problem):
        call(parsed())


def test_ranked_puts_the_best_network_first() -> None:
    """Every run with results, the baseline among them, by network test accuracy."""
    assert [run.name for run in experiments.ranked(parsed())] == [
        "exp-three",
        "baseline",
        "exp-twenty",
        "exp-slow",
        "exp-both",
    ]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("x", "the document must be a list, not 'x'"),
        ([1, 2], r"the document\[0\] must be an object, not 1"),
        ({"rev": "workspace"}, "the document must be a list"),
        ([{"rev": "a" * 40, "experiments": "none"}], r"\[0\].experiments must be a list"),
        ([{"rev": "a" * 40, "experiments": [[]]}], r"\[0\].experiments\[0\] must be an object"),
        ([{"rev": "a" * 40, "data": []}], r"\[0\].data must be an object, not \[\]"),
        (
            [{"rev": "a" * 40, "data": {"params": {"params.yaml": {"data": 3}}}}],
            r"\[0\].data.params.params.yaml.data must be an object, not 3",
        ),
        ([{"rev": "workspace"}], "dvc exp show lists no commit"),
        ([{"rev": "a" * 40, "data": {}}], "the baseline has no params.yaml"),
    ],
)
def test_a_document_of_another_shape_is_one_clear_error(document, problem) -> None:
    """21.9: "x" or [1, 2] gave an AttributeError traceback; now the first wrong field is named."""
    with pytest.raises(DataError, match=problem):
        experiments.parse(document)


def test_a_wrong_field_inside_an_experiment_is_named() -> None:
    document = exp_show_document()
    document[1]["experiments"][0]["revs"][0]["data"]["metrics"] = ["reports/metrics.json"]
    with pytest.raises(DataError, match=r"\[1\].experiments\[0\].revs\[0\].data.metrics must be"):
        experiments.parse(document)


def test_metrics_that_are_not_numbers_are_ignored() -> None:
    document = exp_show_document()
    document[1]["data"]["metrics"]["reports/metrics.json"]["data"]["nn"]["roc_auc"] = "high"
    assert "nn.roc_auc" not in parsed(document).run.metrics


def test_seeds_group_runs_by_everything_but_the_seeds() -> None:
    """22.3: a configuration is named by what it changes, the baseline's "the baseline"."""
    groups, notes = seedgroups.seed_groups(parsed(seeds_document()))
    assert [(group.label, [run.name for run in group.runs]) for group in groups] == [
        ("the baseline", ["baseline", "s1", "s2-again"]),
        ("nn.hidden_units=3", ["h3-s1", "h3-s2"]),
    ]
    assert groups[0].varied == ["split.seed", "nn.seed"]
    assert notes == [
        "the baseline with data.seed=69, split.seed=2, nn.seed=2: s2-again is newer than s2, "
        "which is left out (name experiments to choose)",
        "ran with one set of seeds only, left out: nn.hidden_units=5",
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "null"), (True, "true"), (0.3, "0.3"), ("relu", "relu"), (["a", "b"], '["a", "b"]')],
)
def test_values_read_as_params_yaml_writes_them(value, text) -> None:
    assert experiments.format_value(value) == text
