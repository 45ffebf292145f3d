"""The sweep worker's slicing, naming and command line; tests/test_team_sweep.py runs it."""

from __future__ import annotations

import pytest

from tools import sweep_worker


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 7, 9])
def test_slices_share_out_every_value_once_and_evenly(workers: int) -> None:
    values = [str(value) for value in range(1, 8)]
    slices = [sweep_worker.sweep_slice(values, index, workers) for index in range(workers)]
    assert sorted(value for part in slices for value in part) == sorted(values)
    assert max(map(len, slices)) - min(map(len, slices)) <= 1


def test_round_robin_spreads_a_list_in_order_of_cost() -> None:
    values = ["1", "2", "3", "4", "5", "20", "50"]
    assert [sweep_worker.sweep_slice(values, index, 3) for index in range(3)] == [
        ["1", "4", "50"],
        ["2", "5"],
        ["3", "20"],
    ]


@pytest.mark.parametrize(
    ("param", "value", "name"),
    [
        ("nn.hidden_units", "5", "hidden_units-5"),
        ("nn.learning_rate", "0.3", "learning_rate-0.3"),
        ("data.kind", "data/own/my data.csv", "kind-data_own_my_data.csv"),
    ],
)
def test_experiment_names_come_from_the_value(param: str, value: str, name: str) -> None:
    assert sweep_worker.experiment_name(param, value) == name


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["nn.hidden_units", "1,2", "--worker", "2", "--workers", "2"], "--worker 2 is not in 0"),
        (["nn.hidden_units", "1,2", "--worker", "0", "--workers", "0"], "(1 or more)"),
        (["nn.hidden_units", "1,,2", "--worker", "0", "--workers", "1"], "has an empty item"),
        (["data.kind", "a/b,a b", "--worker", "0", "--workers", "1"], "the same experiment name"),
    ],
)
def test_a_bad_command_line_is_one_line_and_status_2(
    argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        sweep_worker.main(argv)
    assert exit_info.value.code == 2
    assert problem in capsys.readouterr().err.splitlines()[-1]


def test_a_worker_with_an_empty_slice_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Three workers for two values: the third pulls nothing and pushes nothing."""
    sweep_worker.main(["nn.hidden_units", "1,2", "--worker", "2", "--workers", "3"])
    assert capsys.readouterr().err == "sweep_worker: worker 2 of 3: no value left, nothing to do\n"
