"""Training the network: epochs on the full batch or on mini-batches, the optimiser's steps,
the learning curve, divergence and progress. The gradient comes from `scratchnet.nn`, the
step from `scratchnet.optimizers`; docs/training.md says what each option does.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable

import numpy as np

from scratchnet import nn, optimizers
from scratchnet.errors import ParamsError, TrainingDivergedError
from scratchnet.numerics import softplus_row_means
from scratchnet.params import NNParams


@dataclasses.dataclass(frozen=True, eq=False)
class FitResult:
    network: nn.Network
    cost_history: np.ndarray
    """One cost per epoch, weight decay's penalty included: full batch, the cost before that
    epoch's update (as the post prints it); mini-batches, the mean over the epoch's rows of
    the cost each batch had before its update."""
    config: NNParams
    """The params the network was trained with."""


ProgressCallback = Callable[[float, float, float], None]
"""Called as `progress(epoch, cost, elapsed_seconds)`; with mini-batches also between epochs,
at a fractional epoch with the last epoch's cost."""


MAX_TRAINING_CELLS = 1 << 27
"""Training holds about two arrays of (batch) rows × hidden units: this bound keeps them
under 2.5 GiB."""

COST_BLOCK_FLOATS = 1 << 14
"""The logits of up to this many floats' worth of epochs (at least one epoch) are turned
into costs in one go: per-call overhead, not arithmetic, is what a per-epoch cost would spend."""

PROGRESS_SECONDS = 0.5
"""With mini-batches, progress is reported at least this often within an epoch."""

BLOWUP = 100.0
"""A cost above BLOWUP × max(the cost at the initial weights, log 2) means divergence. log 2 is
the cost of always answering 0.5; a converging run never comes near this, while a diverging one
with tanh units explodes far past it without ever becoming infinite (the cost is stable)."""


def fit(
    x: np.ndarray,
    y: np.ndarray,
    config: NNParams,
    progress: ProgressCallback | None = None,
    progress_every: int | None = None,
) -> FitResult:
    """Train from `nn.initialize(...)` for `config.epochs` epochs: the optimiser `config.optimizer`
    on the full batch, or on batches of `config.batch_size` rows from a fresh permutation of
    the rows each epoch (drawn from `config.seed`).

    Raises TrainingDivergedError naming the first epoch whose cost is NaN, infinite, or above
    the BLOWUP bound (full batch: found at the end of its block of epochs).
    """
    m = x.shape[0]
    batch = min(config.batch_size or m, m)
    cells = batch * config.hidden_units
    if cells > MAX_TRAINING_CELLS:
        rows = "training rows" if batch == m else "rows per batch (nn.batch_size)"
        raise ParamsError(
            f"nn.hidden_units = {config.hidden_units} with {batch:,} {rows} needs "
            f"{cells:,} hidden activations per step, more than {MAX_TRAINING_CELLS:,}: lower "
            "nn.hidden_units, nn.batch_size or data.n_samples"
        )
    net = nn.initialize(x.shape[1], config)
    optimizer = optimizers.make(config, net.flat.size, net.flat.dtype)
    history = np.empty(config.epochs, dtype=np.float64)
    run = _Run(net, optimizer, x, y, config, history, progress, progress_every or config.log_every)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught by the costs
        (_full_batch if batch == m else _mini_batches)(run)
    return FitResult(net, history, config)


@dataclasses.dataclass(frozen=True, eq=False)
class _Run:
    """What both training loops share: the network and its optimiser, the rows, the params,
    the learning curve they fill, and whom they report progress to every `every` epochs."""

    net: nn.Network
    optimizer: optimizers.Optimizer
    x: np.ndarray
    y: np.ndarray
    config: NNParams
    history: np.ndarray
    progress: ProgressCallback | None
    every: int


def _full_batch(run: _Run) -> None:
    """Epochs on all rows; the costs of a block of epochs computed at once from their logits."""
    net, optimizer, config, history = run.net, run.optimizer, run.config, run.history
    x, y, progress, every = run.x, run.y, run.progress, run.every
    m, epochs = x.shape[0], config.epochs
    workspace = nn.Workspace(net, x, y, scale=optimizer.gradient_scale, l2=config.l2)
    params, grad = net.flat, workspace.grad
    logits = np.empty((max(1, min(epochs, COST_BLOCK_FLOATS // m)), m), params.dtype)
    scratch = np.empty_like(logits)
    penalties = np.zeros(epochs) if config.l2 else None
    start = time.perf_counter()
    first = 0  # the epoch in logits[0]
    for epoch in range(epochs):
        done = epoch + 1
        if penalties is not None:
            penalties[epoch] = workspace.penalty()
        workspace.descent_step(logits[epoch - first : done - first])
        optimizer.step(params, grad)
        if done - first < len(logits) and done % every and done < epochs:
            continue
        rows = done - first
        history[first:done] = workspace.costs_from_logits(logits[:rows], scratch[:rows])
        if penalties is not None:
            history[first:done] += penalties[first:done]
        _check_costs(history, first, done, config.learning_rate, history[0])
        if progress is not None and (done % every == 0 or done == epochs):
            progress(done, float(history[epoch]), time.perf_counter() - start)
        first = done


def _mini_batches(run: _Run) -> None:
    """Epochs over a fresh permutation of the rows in batches of `config.batch_size` (the last
    may be smaller); each batch's logits land in the epoch's row of costs, turned into the
    epoch's cost at its end."""
    net, optimizer, config, history = run.net, run.optimizer, run.config, run.history
    x, y, progress, every = run.x, run.y, run.progress, run.every
    m, size, epochs = x.shape[0], config.batch_size or x.shape[0], config.epochs
    scale, dtype = optimizer.gradient_scale, net.flat.dtype
    workspaces = {
        rows: nn.Workspace(net, x[:rows], y[:rows], scale=scale, l2=config.l2)
        for rows in {size, m % size} - {0}
    }
    params = net.flat
    rng = np.random.default_rng([config.seed, 1])  # a stream of its own beside the weights'
    signs = (1 - 2 * y.astype(dtype)).reshape(1, m)
    logits, epoch_signs, scratch = (np.empty((1, m), dtype) for _ in range(3))
    start = last_report = time.perf_counter()
    cost = math.nan
    for epoch in range(epochs):
        order = rng.permutation(m)
        penalty = 0.0
        for first in range(0, m, size):
            rows = order[first : first + size]
            workspace = workspaces[rows.size]
            workspace.gather(x, y, rows)
            if config.l2:
                penalty += workspace.penalty() * (rows.size / m)
            batch_logits = logits[:, first : first + rows.size]
            workspace.descent_step(batch_logits)
            if epoch == first == 0:  # the first batch's cost at the initial weights
                initial = workspace.costs_from_logits(batch_logits.copy())[0]
                initial += workspace.penalty() if config.l2 else 0.0
            optimizer.step(params, workspace.grad)
            now = time.perf_counter()
            if progress is not None and now - last_report >= PROGRESS_SECONDS and first + size < m:
                last_report = now
                progress(epoch + (first + size) / m, cost, now - start)
        np.take(signs, order, axis=1, out=epoch_signs)
        logits *= epoch_signs
        cost = history[epoch] = softplus_row_means(logits, scratch)[0] + penalty
        _check_costs(history, epoch, epoch + 1, config.learning_rate, initial)
        done = epoch + 1
        if progress is not None and (done % every == 0 or done == epochs):
            last_report = time.perf_counter()
            progress(done, float(cost), last_report - start)


def _check_costs(
    history: np.ndarray, first: int, done: int, learning_rate: float, start: float
) -> None:
    """Raise TrainingDivergedError at the first of epochs first..done-1 that diverged: a cost
    above BLOWUP × max(`start`, the cost at the initial weights, log 2), or not a number."""
    limit = BLOWUP * max(start, math.log(2)) if start <= sys.float_info.max else 0
    bad = ~(history[first:done] <= limit)  # also true for NaN
    if bad.any():
        epoch = first + int(np.argmax(bad))
        raise TrainingDivergedError(
            f"training diverged at epoch {epoch + 1}: cost {history[epoch]:.4g} "
            f"(at the initial weights {start:.4g}) with "
            f"nn.learning_rate = {learning_rate}; lower the learning rate"
        )
