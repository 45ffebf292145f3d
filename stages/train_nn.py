"""Stage `train_nn`: full-batch gradient descent on the scaled training split."""

from __future__ import annotations

import sys

import _stage

from scratchnet import io, nn, nn_file, params, scaler_file
from scratchnet.progress import TrainingProgress


def main(argv: list[str] | None = None) -> None:
    args = _stage.parse_args(
        __doc__,
        argv,
        train="data/split/train.csv",
        scaler="data/split/scaler.json",
        model="models/nn.npz",
        sidecar="models/nn.json",
        cost="reports/nn/cost.csv",
    )
    config = params.section(io.read_params(args.params), params.NNParams)
    train = io.read_dataset(args.train)
    progress = TrainingProgress(config.epochs, config.log_every, sys.stderr, sys.stderr.isatty())
    x = scaler_file.read_scaler(args.scaler).transform(train.x)
    result = nn.fit(x, train.y, config, progress, progress.every)
    history = result.cost_history
    arrays, sidecar = nn_file.encode_network(
        result.network,
        {"epochs": config.epochs, "learning_rate": config.learning_rate, "final_cost": history[-1]},
    )
    curve = io.encode_table({"epoch": range(1, history.size + 1), "cost": history})
    io.commit({args.model: arrays, args.sidecar: sidecar, args.cost: curve})


if __name__ == "__main__":
    _stage.run(main)
