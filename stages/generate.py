"""Stage `generate`: draw the data set named by `data.kind`, or take your own CSV file."""

from __future__ import annotations

import argparse
from pathlib import Path

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import datasets, params, paramsfile, tables
    from scratchnet.errors import ParamsError

    config = paramsfile.read_section(args.params, params.DataParams)
    if config.own_data is None:
        data = datasets.generate(config)
    else:
        source = Path(config.own_data)
        if not source.resolve().is_relative_to(args.own_data.resolve()):
            raise ParamsError(
                f"data.kind = {config.kind!r}: your own data must be a file in {args.own_data}/, "
                "which this stage depends on, so that DVC reruns it when the file changes"
            )
        if not source.is_file():
            raise ParamsError(f"data.kind = {config.kind!r}: no such file")
        data = tables.read_own_dataset(source, config)
    tables.write_dataset(args.dataset, data)
    return f"{args.dataset} ({len(data)} rows, {data.n_features} features, {config.kind})"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        reads=["data"],
        own_data="folder for your own data sets (a data.kind ending in .csv names a file there)",
        dataset=_stage.Output("CSV to write (the features by name, then the label as 0/1)"),
    )
