"""Stage `train_nn`: the network on the scaled training split, trained by `nn.optimizer` (gd,
momentum, adam) on the full batch or on batches of `nn.batch_size` rows, with weight decay
`nn.l2` (params.yaml; docs/training.md)."""

from __future__ import annotations

import argparse
import shutil
import sys

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import modelfiles, params, paramsfile, tables, training
    from scratchnet.progress import TrainingProgress

    config = paramsfile.read_section(args.params, params.NNParams)
    train = tables.read_dataset(args.train)
    x = modelfiles.read_scaler(args.scaler).transform(train.x)
    width = shutil.get_terminal_size().columns if sys.stderr.isatty() else None
    progress = TrainingProgress(config.epochs, config.log_every, sys.stderr, width)
    result = training.fit(x, train.y, config, progress, progress.every)
    modelfiles.write_network(args.model, result)
    return f"{args.model} (final cost {result.cost_history[-1]:.6f})"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        reads=["nn"],
        train=_stage.INPUTS["train"],
        scaler=_stage.INPUTS["scaler"],
        model=_stage.Output("model file to write (.npz: weights and learning curve)"),
    )
