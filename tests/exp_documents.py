"""`dvc exp show --json` documents as DVC 3 writes them, built for the comparison tests: a small
sweep with runs that must be left out, seed replicates, and large synthetic ones."""

from __future__ import annotations

from scratchnet.experiments import METRICS

BASE_VALUES = {"optimizer": "gd", "batch_size": None}
"""The values of the swept keys in params.yaml at the defaults."""
BASE = {
    "data": {"seed": 69},
    "nn": {"hidden_units": 40, "learning_rate": 0.9, "seed": 69},
    "split": {"seed": 69},
}


def entry(rev: str, name: str | None, accuracy: float, split_seed: int = 69, **nn: object) -> dict:
    """One revision: the baseline's params with `nn` changed, and its headline metrics."""
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
            "metrics": {METRICS: {"data": metrics}},
        },
    }


def group(revision: dict, state: str | None = None) -> dict:
    """The range DVC lists an experiment in; `state` as its executor reports it."""
    executor = None if state is None else {"state": state, "name": None, "local": None}
    return {"name": revision["name"], "executor": executor, "revs": [revision]}


def exp_show_document() -> list[dict]:
    """Workspace and a baseline with a hidden-size sweep, an unrelated run and a failed one."""
    failed = entry("c" * 40, "broken", 0.0, hidden_units=7)
    failed["error"] = {"type": "ReproductionError", "msg": "failed"}
    baseline = entry("a" * 40, "main", 0.9125)
    baseline["experiments"] = [
        group(entry("b" * 40, "exp-twenty", 0.8875, hidden_units=20)),
        group(entry("d" * 40, "exp-three", 0.9375, hidden_units=3)),
        group(entry("e" * 40, "exp-slow", 0.85, learning_rate=0.3)),
        group(entry("f" * 40, "exp-both", 0.8, hidden_units=4, learning_rate=0.3)),
        group(failed, "failed"),
    ]
    return [entry("workspace", None, 0.5, hidden_units=99), baseline]


def with_intervals(revision: dict) -> dict:
    """The entry with the 95 % intervals evaluate writes beside test accuracy and ROC AUC."""
    metrics = revision["data"]["metrics"][METRICS]["data"]
    metrics["nn"].update(
        accuracy_lower=metrics["nn"]["accuracy"] - 0.0812,  # 83.13 %: no rounding tie
        accuracy_upper=metrics["nn"]["accuracy"] + 0.0412,
        roc_auc_lower=0.85,
        roc_auc_upper=0.95,
    )
    metrics["logreg"].update(accuracy_lower=0.478, accuracy_upper=0.689)
    return revision


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
        baseline["experiments"].append(group(revision))
    return [entry("workspace", None, 0.5), baseline]


def many_experiments(count: int) -> list[dict]:
    """`count` experiments with long names, each changing several params (activation names,
    learning rates, optimisers, batch sizes, seeds), with intervals: a wide table's worst case."""
    baseline = with_intervals(entry("a" * 40, "main", 0.9125, activation="tanh", optimizer="gd"))
    baseline["experiments"] = []
    for i in range(count):
        changes = {
            "hidden_units": 1 + i,
            "activation": ("tanh", "relu", "sigmoid")[i % 3],
            "learning_rate": round(0.05 * (1 + i % 7), 2),
            "optimizer": ("gd", "momentum", "adam")[i % 3],
            "batch_size": (None, 64, 256)[i % 3],
            "seed": 100 + i,
        }
        name = f"a-rather-long-experiment-name-describing-run-{i:03d}"
        revision = entry(f"{i:040x}", name, (50 + i % 51) / 100, split_seed=1000 + i, **changes)
        baseline["experiments"].append(group(with_intervals(revision)))
    return [entry("workspace", None, 0.5), baseline]
