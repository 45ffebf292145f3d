"""Tables of experiments: the Markdown reports show test accuracy with its interval, the seeds
report is hand-worked, and the ranking fits 80 columns however many experiments there are."""

from __future__ import annotations

import pytest

from scratchnet import experiments, exptables, seedgroups
from tests.exp_documents import exp_show_document, many_experiments, seeds_document, with_intervals


def test_sweep_table_has_a_row_per_run_and_a_column_per_changed_parameter() -> None:
    runs, _ = experiments.sweep(experiments.parse(exp_show_document()), "nn.hidden_units")
    header, rule, *rows = exptables.markdown_table(runs).splitlines()
    assert [cell.strip() for cell in header.split("|")[1:3]] == ["run", "nn.hidden_units"]
    assert rule.startswith("|:---") and rule.endswith("---:|")  # names left, numbers right
    assert [[cell.strip() for cell in row.split("|")[1:-1]] for row in rows] == [
        ["baseline", "40", "90.00%", "91.25%", "0.250", "0.900", "58.75%"],
        ["exp-three", "3", "90.00%", "93.75%", "0.250", "0.900", "58.75%"],
        ["exp-twenty", "20", "90.00%", "88.75%", "0.250", "0.900", "58.75%"],
    ]


def test_named_runs_label_every_parameter_that_differs() -> None:
    runs = experiments.named(experiments.parse(exp_show_document()), ["exp-slow", "exp-three"])
    header = exptables.markdown_table(runs).splitlines()[0]
    assert [cell.strip() for cell in header.split("|")[1:4]] == [
        "run",
        "nn.hidden_units",
        "nn.learning_rate",
    ]


def test_table_shows_the_intervals_of_test_accuracy() -> None:
    """Cells read "value (lower–upper)"."""
    document = exp_show_document()
    with_intervals(document[1])
    for group in document[1]["experiments"]:
        with_intervals(group["revs"][0])
    runs, _ = experiments.sweep(experiments.parse(document), "nn.hidden_units")
    row = exptables.markdown_table(runs).splitlines()[2]
    assert [cell.strip() for cell in row.split("|")[1:-1]] == [
        "baseline",
        "40",
        "90.00%",
        "91.25% (83.1–95.4%)",
        "0.250",
        "0.900 (0.850–0.950)",
        "58.75% (47.8–68.9%)",
    ]


def test_seeds_table_is_hand_worked() -> None:
    """Baseline replicates 91.25, 87.5, 90 %: mean 89.58 %, sd √((1.667² + 2.083² + 0.417²)/2)
    = 1.91 points; logistic regression 58.75 % every time, sd 0. Three units: 92.5 and 95 %,
    mean 93.75 %, sd 2.5/√2 = 1.77 points."""
    groups, _ = seedgroups.seed_groups(experiments.parse(seeds_document()))
    header, _, *rows = exptables.seeds_table(groups).splitlines()
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in (header, *rows)]
    assert cells[0] == [
        "configuration",
        "runs",
        "seeds varied",
        *(f"network test acc. {name}" for name in ("mean", "sd", "min", "max")),
        *(f"logistic test acc. {name}" for name in ("mean", "sd", "min", "max")),
    ]
    assert cells[1] == [
        "the baseline",
        "3",
        "split.seed, nn.seed",
        *("89.58%", "1.91%", "87.50%", "91.25%"),
        *("58.75%", "0.00%", "58.75%", "58.75%"),
    ]
    assert cells[2][:5] == ["nn.hidden_units=3", "2", "split.seed, nn.seed", "93.75%", "1.77%"]


def test_short_names_keep_the_section_only_where_names_clash() -> None:
    assert exptables.short_names(["data.seed", "nn.activation", "nn.seed"]) == {
        "data.seed": "data.seed",
        "nn.activation": "activation",
        "nn.seed": "nn.seed",
    }


def test_ranking_shows_both_accuracies_and_what_changed() -> None:
    document = exp_show_document()
    with_intervals(document[1])
    baseline = experiments.parse(document)
    lines = exptables.ranking_table(baseline.run, experiments.ranked(baseline)).splitlines()
    assert lines[2].split() == ["experiment", "network", "logistic", "changes"]
    assert lines[4].split() == ["exp-three", "93.8", "58.8", "hidden_units=3"]
    assert lines[5].split() == [
        "baseline", "91.2", "(83.1-95.4)", "58.8", "(47.8-68.9)", "(the", "baseline)"
    ]  # fmt: skip
    assert lines[-1].split() == ["exp-both", "80.0", "58.8", "hidden_units=4", "learning_rat..."]
    assert max(map(len, lines)) == exptables.WIDTH  # the changes cut to fit


@pytest.mark.parametrize("count", [13, 50])
def test_ranking_fits_80_columns(count: int) -> None:
    """22.2: `dvc exp show` needed 118 columns for the README's recipe and dropped nn.accuracy
    at 13 experiments; the ranking fits 80 at 13 and 50 experiments with long names and six
    changed params each, cutting names and changes with an ellipsis, best network first."""
    baseline = experiments.parse(many_experiments(count))
    table = exptables.ranking_table(baseline.run, experiments.ranked(baseline))
    lines = table.splitlines()
    assert max(map(len, lines)) <= exptables.WIDTH
    rows = lines[4:]
    assert len(rows) == count + 1
    assert all(row.startswith("a-rather-long-exp...") for row in rows if "baseline" not in row)
    accuracies = [float(row.split()[1]) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(row.count("(") >= 2 for row in rows)  # both intervals in every row
    assert any(row.endswith("(the baseline)") for row in rows)
    assert all(row.endswith(exptables.ELLIPSIS) for row in rows if "baseline" not in row)
