"""Stage `split`: seeded train/test split, and scaling statistics fitted on the train rows."""

from __future__ import annotations

import _stage

from scratchnet import io, params, scaler_file, split


def main(argv: list[str] | None = None) -> None:
    args = _stage.parse_args(
        __doc__,
        argv,
        dataset="data/raw/dataset.csv",
        train="data/split/train.csv",
        test="data/split/test.csv",
        scaler="data/split/scaler.json",
    )
    config = params.section(io.read_params(args.params), params.SplitParams)
    train, test = split.train_test_split(io.read_dataset(args.dataset), config)
    io.commit(
        {
            args.train: io.encode_dataset(train),
            args.test: io.encode_dataset(test),
            args.scaler: scaler_file.encode_scaler(split.fit_scaler(train, config)),
        }
    )


if __name__ == "__main__":
    _stage.run(main)
