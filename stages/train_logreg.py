"""Stage `train_logreg`: maximum-likelihood logistic regression on the scaled training split."""

from __future__ import annotations

import _stage

from scratchnet import io, logreg, logreg_file, params, scaler_file


def main(argv: list[str] | None = None) -> None:
    args = _stage.parse_args(
        __doc__,
        argv,
        train="data/split/train.csv",
        scaler="data/split/scaler.json",
        model="models/logreg.npz",
        sidecar="models/logreg.json",
    )
    config = params.section(io.read_params(args.params), params.LogRegParams)
    train = io.read_dataset(args.train)
    model = logreg.fit(scaler_file.read_scaler(args.scaler).transform(train.x), train.y, config)
    arrays, sidecar = logreg_file.encode_logistic(model)
    io.commit({args.model: arrays, args.sidecar: sidecar})


if __name__ == "__main__":
    _stage.run(main)
