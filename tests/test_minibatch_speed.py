"""benchmarks/minibatch_speed.py: its same-maths check and the params it runs `train_nn` with."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks import minibatch_speed
from scratchnet import params, paramsfile


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_one_epoch_is_scikit_learns(optimizer: str) -> None:
    """From the same weights on the same order of rows (a partial last batch included), one
    epoch of each ends at the same weights."""
    x, y = minibatch_speed.epoch_data(1_000)
    weights, cost = minibatch_speed.same_maths(x, y, optimizer)
    assert weights < 1e-12
    assert cost < 1e-12


def test_the_check_tells_another_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Momentum against scikit-learn's momentum-free sgd is caught."""
    config = minibatch_speed.epoch_config
    monkeypatch.setattr(
        minibatch_speed,
        "epoch_config",
        lambda optimizer: dataclasses.replace(config(optimizer), optimizer="momentum"),
    )
    x, y = minibatch_speed.epoch_data(1_000)
    weights, _ = minibatch_speed.same_maths(x, y, "gd")
    assert weights > minibatch_speed.CHECK_TOLERANCE


def test_params_file_holds_the_recommended_settings(tmp_path: Path) -> None:
    project = minibatch_speed.write_params(tmp_path)
    written = paramsfile.read_params(tmp_path / "params.yaml")
    config = paramsfile.section(written, params.NNParams)
    for key, value in minibatch_speed.RECOMMENDED.items():
        assert getattr(config, key) == value, key
    assert {name: section for name, section in written.items() if name != "nn"} == {
        name: section for name, section in project.items() if name != "nn"
    }
    tokens = minibatch_speed.dvc_flags(project).split()
    assert tokens[:3] == ["dvc", "exp", "run"] and set(tokens[3::2]) == {"-S"}
    flags = dict(flag.split("=") for flag in tokens[4::2])
    changed = [
        key for key, value in minibatch_speed.RECOMMENDED.items() if project["nn"][key] != value
    ]
    assert sorted(key for key in flags if key.startswith("nn.")) == sorted(
        f"nn.{key}" for key in changed
    )
    for key, value in flags.items():
        section, name = key.split(".")
        source = minibatch_speed.FLOWER if section == "data" else config
        assert str(getattr(source, name)) == value, key
