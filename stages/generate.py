"""Stage `generate`: draw the data set named by `data.kind`."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> None:
    from scratchnet import datasets, io, params

    config = io.read_section(args.params, params.DataParams)
    io.write_dataset(args.dataset, datasets.generate(config))


if __name__ == "__main__":
    _stage.run(main, __doc__, dataset="CSV to write (x1, x2, y)")
