"""Stage `split`: seeded train/test split, and scaling statistics fitted on the train rows."""

from __future__ import annotations

from scratchnet import io, model_files, params, split, stage


def main(argv: list[str] | None = None) -> None:
    args = stage.parse_args(
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
            args.scaler: model_files.encode_scaler(split.fit_scaler(train, config)),
        }
    )


if __name__ == "__main__":
    stage.run(main)
