"""Stage `split`: seeded train/test split, and scaling statistics fitted on the train rows."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import modelfiles, params, paramsfile, split, tables, tablewriter

    config = paramsfile.read_section(args.params, params.SplitParams)
    train, test = split.train_test_split(tables.read_dataset(args.dataset), config)
    tablewriter.write_dataset(args.train, train)
    tablewriter.write_dataset(args.test, test)
    modelfiles.write_scaler(args.scaler, split.fit_scaler(train, config))
    return f"{len(train)} training rows, {len(test)} test rows and the scaler"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        reads=["split"],
        dataset="data set to split (CSV)",
        train=_stage.Output("training rows to write (CSV)"),
        test=_stage.Output("test rows to write (CSV)"),
        scaler=_stage.Output("standardisation statistics to write (.npz)"),
    )
