"""Stage `generate`: draw the data set named by `data.kind` into data/raw/dataset.csv."""

from __future__ import annotations

import _stage

from scratchnet import datasets, io, params


def main(argv: list[str] | None = None) -> None:
    args = _stage.parse_args(__doc__, argv, out="data/raw/dataset.csv")
    config = params.section(io.read_params(args.params), params.DataParams)
    io.commit({args.out: io.encode_dataset(datasets.generate(config))})


if __name__ == "__main__":
    _stage.run(main)
