"""Stage `train_logreg`: maximum-likelihood logistic regression on the scaled training split."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import logreg, modelfiles, params, paramsfile, tables

    config = paramsfile.read_section(args.params, params.LogRegParams)
    train = tables.read_dataset(args.train)
    x = modelfiles.read_scaler(args.scaler).transform(train.x)
    model = logreg.fit(x, train.y, config)
    modelfiles.write_logistic(args.model, model, config)
    return f"{args.model} ({model.iterations} Newton steps)"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        reads=["logreg"],
        train=_stage.INPUTS["train"],
        scaler=_stage.INPUTS["scaler"],
        model=_stage.Output("model file to write (.npz)"),
    )
