"""Stage `train_nn`: full-batch gradient descent on the scaled training split."""

from __future__ import annotations

import argparse
import sys

import _stage


def main(args: argparse.Namespace) -> None:
    from scratchnet import io, nn, params
    from scratchnet.progress import TrainingProgress

    config = io.read_section(args.params, params.NNParams)
    train = io.read_dataset(args.train)
    x = io.read_scaler(args.scaler).transform(train.x)
    progress = TrainingProgress(config.epochs, config.log_every, sys.stderr, sys.stderr.isatty())
    io.write_network(args.model, nn.fit(x, train.y, config, progress, progress.every))


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        train="training rows (CSV)",
        scaler="standardisation statistics (.npz)",
        model="model file to write (.npz: weights and learning curve)",
    )
