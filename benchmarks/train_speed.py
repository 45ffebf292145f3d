"""Training speed and memory: scratchnet's trainer against a plain NumPy translation of the post.

The reference is the post's R code translated line by line (forwardPropagation, computeCost,
backwardPropagation, updateParameters, called every epoch, each returning new arrays), with the
errata fixed and the same overflow-free sigmoid. scikit-learn's `MLPClassifier` on the same
workload (full-batch SGD, no momentum, no regularisation, tanh) is timed beside them when the
benchmark extra is installed (`pip install -e '.[benchmark]'`).

    python benchmarks/train_speed.py              # the default workload (params.yaml)
    python benchmarks/train_speed.py --scaling    # n_samples × hidden units grid, one process each

The default run alternates the trainers over `--repeats` rounds in one process, then checks on
the last round's runs that scratchnet does the reference's mathematics (`equivalence`): from
the same weights, one epoch's gradients agree to a relative 1e-12; the costs of the first
5,000 epochs agree to 1e-9; the two trained models classify the test set the same way (up to
the phase of the two-value oscillation the run ends in: `reference_states`). Exact equality of
the final cost would be the wrong test: the default run is chaotic from epoch ~6,300 on, so
any regrouping of the arithmetic moves the final cost by ~1e-3. It exits non-zero unless the
check passes and every ratio in TARGETS is met.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scratchnet import datasets, nn, params, paramsfile, split, training

ROOT = Path(__file__).resolve().parents[1]
SCALING_SAMPLES = (400, 4_000, 40_000, 400_000)
SCALING_UNITS = (4, 40, 400)
SCALING_WORK = 4e8
"""Samples × units × epochs per scaling point: enough epochs to time, few enough to finish."""

GRADIENT_TOLERANCE = 1e-12
"""Largest relative difference (norm of the difference / norm) of any gradient array."""
COST_EPOCHS = 5_000
"""Epochs whose costs must agree: the default run is not yet chaotic there."""
COST_TOLERANCE = 1e-9
TARGETS = {
    ("reference", "scratchnet float64"): 2.0,
    ("scikit-learn", "scratchnet float64"): 2.8,
    ("reference", "scratchnet float32"): 3.5,
}
"""Smallest acceptable speed-up of the second trainer over the first: the median over rounds of
each round's ratio (the host's speed drifts between rounds, hardly within one). The goal against
scikit-learn was 3×; it is met without margin (benchmarks/README.md), so the check guards 2.8×."""

Arrays = dict[str, np.ndarray]


def forward_propagation(x: np.ndarray, p: Arrays) -> Arrays:
    """The post's forwardPropagation(): Z1, A1 (tanh), Z2, A2 (sigmoid) as new arrays."""
    z1 = p["W1"] @ x + p["b1"]
    a1 = np.tanh(z1)
    z2 = p["W2"] @ a1 + p["b2"]
    a2 = 0.5 * (1 + np.tanh(0.5 * z2))  # the sigmoid, in the overflow-free form scratchnet uses
    return {"Z1": z1, "A1": a1, "Z2": z2, "A2": a2}


def compute_cost(y: np.ndarray, cache: Arrays) -> float:
    """The post's computeCost(), from the logits so that log(0) cannot happen."""
    return float(np.mean(np.logaddexp(0, (1 - 2 * y) * cache["Z2"])))


def backward_propagation(x: np.ndarray, y: np.ndarray, cache: Arrays, p: Arrays) -> Arrays:
    """The post's backwardPropagation(), with one bias gradient per hidden unit (ERRATA 2)."""
    m = x.shape[1]
    dz2 = cache["A2"] - y
    dw2 = 1 / m * (dz2 @ cache["A1"].T)
    db2 = 1 / m * np.sum(dz2, axis=1, keepdims=True)
    dz1 = (p["W2"].T @ dz2) * (1 - cache["A1"] ** 2)
    dw1 = 1 / m * (dz1 @ x.T)
    db1 = 1 / m * np.sum(dz1, axis=1, keepdims=True)
    return {"dW1": dw1, "db1": db1, "dW2": dw2, "db2": db2}


def update_parameters(grads: Arrays, p: Arrays, learning_rate: float) -> Arrays:
    """The post's updateParameters(): new arrays W - learning_rate * dW."""
    return {name: p[name] - learning_rate * grads["d" + name] for name in p}


def as_reference(net: nn.Network) -> Arrays:
    """A network's weights under the post's names, as copies."""
    arrays = net.arrays()
    return {name.upper() if name[0] == "w" else name: arrays[name].copy() for name in arrays}


def reference_gradients(net: nn.Network, x: np.ndarray, y: np.ndarray) -> Arrays:
    """One epoch's gradients by the post's functions, under scratchnet's names."""
    p = as_reference(net)
    big_y = y.reshape(1, -1).astype(float)
    grads = backward_propagation(x.T, big_y, forward_propagation(x.T, p), p)
    return {name.lower(): grads["d" + name] for name in p}


Classifier = Callable[[np.ndarray], np.ndarray]
"""Class 0/1 for each row of a (scaled) feature matrix."""


@dataclasses.dataclass(frozen=True)
class Trained:
    cost_history: np.ndarray
    classify: Classifier
    """The model after the last epoch."""
    classify_before_last: Classifier | None = None
    """The model one epoch earlier (the reference keeps it: see `reference_states`)."""


def reference_fit(x: np.ndarray, y: np.ndarray, config: params.NNParams) -> Trained:
    """The post's trainModel() loop, translated plainly: the four functions, every epoch."""
    p = previous = as_reference(nn.initialize(x.shape[1], config))
    big_x, big_y = x.T, y.reshape(1, -1).astype(float)
    history = np.empty(config.epochs)
    for epoch in range(config.epochs):
        cache = forward_propagation(big_x, p)
        history[epoch] = compute_cost(big_y, cache)
        grads = backward_propagation(big_x, big_y, cache, p)
        previous, p = p, update_parameters(grads, p, config.learning_rate)
    return Trained(history, _reference_classifier(p), _reference_classifier(previous))


def _reference_classifier(p: Arrays) -> Classifier:
    return lambda rows: (forward_propagation(rows.T, p)["A2"][0] >= 0.5) * 1


def scratchnet_fit(x: np.ndarray, y: np.ndarray, config: params.NNParams) -> Trained:
    result = training.fit(x, y, config)
    return Trained(
        result.cost_history, lambda rows: (nn.predict_proba(result.network, rows) >= 0.5) * 1
    )


def scratchnet_float32_fit(x: np.ndarray, y: np.ndarray, config: params.NNParams) -> Trained:
    return scratchnet_fit(x, y, dataclasses.replace(config, dtype="float32"))


def sklearn_fit(x: np.ndarray, y: np.ndarray, config: params.NNParams) -> Trained:
    """scikit-learn's MLPClassifier on the same workload: every epoch one full-batch step."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(config.hidden_units,),
        activation="tanh",
        solver="sgd",
        alpha=0.0,
        batch_size=len(x),
        learning_rate="constant",
        learning_rate_init=config.learning_rate,
        max_iter=config.epochs,
        shuffle=False,
        random_state=config.seed,
        tol=0.0,
        momentum=0.0,
        nesterovs_momentum=False,
        n_iter_no_change=config.epochs + 1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it ran the epochs asked for
        model.fit(x, y)
    return Trained(np.asarray(model.loss_curve_), model.predict)


def trainers() -> dict[str, Callable[[np.ndarray, np.ndarray, params.NNParams], Trained]]:
    """The trainers to time; scikit-learn's only when the benchmark extra is installed."""
    found = {
        "reference": reference_fit,
        "scratchnet float64": scratchnet_fit,
        "scratchnet float32": scratchnet_float32_fit,
    }
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return found
    return {**found, "scikit-learn": sklearn_fit}


@dataclasses.dataclass(frozen=True)
class Workload:
    train: datasets.Dataset
    test: datasets.Dataset
    """Both standardised with the training rows' statistics, exactly as the pipeline does."""
    config: params.NNParams


def standardised_split(
    data: params.DataParams, split_config: params.SplitParams
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """Training and test rows, scaled with the training rows' statistics as the pipeline does."""
    train, test = split.train_test_split(datasets.generate(data), split_config)
    scaler = split.fit_scaler(train, split_config)
    return tuple(datasets.Dataset(scaler.transform(part.x), part.y) for part in (train, test))


def default_workload() -> Workload:
    document = paramsfile.read_params(ROOT / "params.yaml")
    config = paramsfile.section(document, params.NNParams)
    if config.activation != "tanh" or config.dtype != "float64":
        raise SystemExit("the reference implements the post: tanh hidden units in float64")
    train, test = standardised_split(
        paramsfile.section(document, params.DataParams),
        paramsfile.section(document, params.SplitParams),
    )
    return Workload(train, test, config)


def relative_difference(a: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(a - reference) / np.linalg.norm(reference))


def equivalence(
    workload: Workload,
    trained: Trained,
    reference: Trained,
) -> list[str]:
    """What disagrees between scratchnet and the reference (empty when they do the same maths).

    `trained` and `reference` are the two trainers' runs of `workload`; scratchnet's one-epoch
    gradient is compared with the reference's from the initial weights and from weights halfway
    through the compared epochs.
    """
    train, config = workload.train, workload.config
    start = nn.initialize(train.x.shape[1], config)
    epochs = min(COST_EPOCHS, config.epochs)
    partway = training.fit(
        train.x, train.y, dataclasses.replace(config, epochs=epochs // 2)
    ).network
    failures = []
    for label, net in (("initial", start), (f"epoch {epochs // 2:,}", partway)):
        ours = nn.cost_and_gradients(net, train.x, train.y)[1]
        theirs = reference_gradients(net, train.x, train.y)
        worst = max(relative_difference(ours[name], theirs[name]) for name in theirs)
        print(f"  gradients from the {label} weights: relative difference {worst:.1e}")
        if not worst <= GRADIENT_TOLERANCE:
            failures.append(f"gradients from the {label} weights differ by {worst:.1e}")
    costs = np.abs(trained.cost_history[:epochs] / reference.cost_history[:epochs] - 1)
    print(f"  costs of the first {epochs:,} epochs: largest relative difference {costs.max():.1e}")
    if not costs.max() <= COST_TOLERANCE:
        failures.append(f"epoch {int(np.argmax(costs)) + 1}'s cost differs by {costs.max():.1e}")
    test = workload.test.x
    ours = trained.classify(test)
    last, before = (int(np.sum(ours != state(test))) for state in reference_states(reference))
    print(
        f"  test rows classified differently from the reference's last epoch: {last}, "
        f"from its epoch before: {before} (of {len(test)})"
    )
    if min(last, before):
        failures.append(f"{min(last, before)} of {len(test)} test rows classified differently")
    return failures


def reference_states(reference: Trained) -> tuple[Classifier, Classifier]:
    """The reference's models at its last two epochs, either of which ours must match.

    The default run ends in a two-value oscillation whose two states classify a few test rows
    differently; which state the last epoch lands in depends on rounding (one unit in the last
    place of one input switches it), so it is not part of the mathematics being checked.
    """
    return reference.classify, reference.classify_before_last or reference.classify


def peak_traced_bytes(trainer: Callable, workload: Workload, epochs: int) -> int:
    config = dataclasses.replace(workload.config, epochs=epochs)
    tracemalloc.start()
    trainer(workload.train.x, workload.train.y, config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def compare(repeats: int) -> int:
    workload = default_workload()
    train, config = workload.train, workload.config
    print(f"workload: {len(train)} samples × {config.hidden_units} units, {config.epochs} epochs")
    timed = trainers()
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    runs: dict[str, Trained] = {}
    for round_ in range(repeats):
        for name, trainer in timed.items():
            start = time.perf_counter()
            runs[name] = trainer(train.x, train.y, config)
            seconds[name].append(time.perf_counter() - start)
            per_epoch = seconds[name][-1] / config.epochs * 1e6
            print(f"  round {round_ + 1} {name:>18}: {per_epoch:6.1f} µs/epoch")
    median = {name: statistics.median(seconds[name]) / config.epochs * 1e6 for name in timed}
    for name in timed:
        peak = peak_traced_bytes(timed[name], workload, 2_000) / 1024
        print(
            f"{name:>18}: median {median[name]:6.1f} µs/epoch, peak traced memory "
            f"{peak:7.1f} KiB (2,000 epochs), final cost {runs[name].cost_history[-1]:.6f}"
        )
    print("equivalence with the reference (scratchnet float64):")
    failures = equivalence(workload, runs["scratchnet float64"], runs["reference"])
    for (slower, faster), target in TARGETS.items():
        if slower not in timed:
            failures.append(f"{slower} not installed: pip install -e '.[benchmark]'")
            continue
        ratios = [a / b for a, b in zip(seconds[slower], seconds[faster], strict=True)]
        ratio = statistics.median(ratios)
        print(
            f"speed-up of {faster} over {slower}: {ratio:.2f}× (target {target}×; "
            f"rounds {min(ratios):.2f}–{max(ratios):.2f}×)"
        )
        if ratio < target:
            failures.append(f"{faster} is {ratio:.2f}× {slower}, below {target}×")
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


def one_scaling_point(n_samples: int, hidden_units: int) -> dict[str, float]:
    """Train at one grid point in this process; report time per epoch and peak RSS growth."""
    data = params.DataParams("flower", n_samples, 0.2, 69)
    train, _ = standardised_split(data, params.SplitParams(0.2, 69, False, True))
    epochs = max(3, round(SCALING_WORK / (len(train) * hidden_units)))
    config = params.NNParams(
        hidden_units, "tanh", epochs, 0.9, "uniform", 0.01, 69, epochs, "float64"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stamps: list[tuple[int, float]] = []
    every = max(1, epochs // 10)  # a progress call forces that epoch's cost: not every epoch
    training.fit(
        train.x, train.y, config, lambda e, *_: stamps.append((e, time.perf_counter())), every
    )
    (first, start), (last, end) = stamps[0], stamps[-1]  # the first epochs touch fresh pages
    per_epoch = (end - start) / (last - first)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    cells = len(train) * hidden_units
    return {
        "samples": len(train),
        "units": hidden_units,
        "epochs": epochs,
        "us_per_epoch": per_epoch * 1e6,
        "ns_per_cell": per_epoch / cells * 1e9,
        "rss_growth_in_hm_arrays": (after - before) / (cells * 8),
    }


def scaling() -> int:
    print(
        f"{'samples':>8} {'units':>5} {'epochs':>6} {'µs/epoch':>11} {'ns/(sample·unit)':>17} "
        f"{'peak RSS growth / (n·h floats)':>31}"
    )
    rows = []
    env = {"OPENBLAS_NUM_THREADS": "1", **os.environ}  # as the stages run (stages/_stage.py)
    for n_samples in SCALING_SAMPLES:
        for units in SCALING_UNITS:
            command = [sys.executable, __file__, "--point", str(n_samples), str(units)]
            row = json.loads(
                subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
            )
            rows.append(row)
            print(
                f"{row['samples']:>8} {row['units']:>5} {row['epochs']:>6} "
                f"{row['us_per_epoch']:>11.1f} {row['ns_per_cell']:>17.2f} "
                f"{row['rss_growth_in_hm_arrays']:>31.2f}"
            )
    large = [row for row in rows if row["samples"] * row["units"] >= 1e6]
    # Linear model: time per epoch = a·n·h (hidden layer) + b·n (output layer, cost, per-sample
    # work), fitted by least squares on the points past per-call overheads.
    design = np.array([[row["samples"] * row["units"], row["samples"]] for row in large], float)
    seconds = np.array([row["us_per_epoch"] for row in large])
    (a, b), *_ = np.linalg.lstsq(design, seconds, rcond=None)
    worst = float(np.max(np.abs(design @ [a, b] / seconds - 1)))
    memory = max(row["rss_growth_in_hm_arrays"] for row in large)
    print(f"fit on n·h >= 1e6: µs/epoch = {a * 1e3:.2f} ns × n·h + {b * 1e3:.1f} ns × n; ", end="")
    print(f"worst point off by {worst:.0%} (in-cache sizes run faster than DRAM-bound ones)")
    wide = [row["ns_per_cell"] for row in large if row["units"] >= 40]
    spread = max(wide) / min(wide)
    print(f"ns per sample·unit with >= 40 units: {min(wide):.2f} to {max(wide):.2f} ", end="")
    print(f"(spread {spread:.2f}×, limit 2×: linear in n·h up to the memory hierarchy)")
    print(f"memory beyond the data, n·h >= 1e6: at most {memory:.2f} n·h arrays (limit 6)")
    ok = spread <= 2 and memory <= 6
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="alternating rounds (default: %(default)s)"
    )
    parser.add_argument(
        "--scaling", action="store_true", help="time the samples × hidden units grid instead"
    )
    parser.add_argument(
        "--point", nargs=2, type=int, metavar=("SAMPLES", "UNITS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.point:
        print(json.dumps(one_scaling_point(*args.point)))
        return 0
    return scaling() if args.scaling else compare(args.repeats)


if __name__ == "__main__":
    sys.exit(main())
