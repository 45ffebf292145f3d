"""Stage `generate`: draw the data set named by `data.kind`, or take your own CSV file (`data.kind:
own`, the file `data.file` names). Checks every params section's name first: a section no
stage reads (a typo) is refused here, at the start of the pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import datasets, params, paramsfile, tables, tablewriter
    from scratchnet.errors import DataError

    document = paramsfile.read_params(args.params)
    paramsfile.check_sections(document)
    config = paramsfile.section(document, params.DataParams)
    if config.kind != params.OWN_KIND:
        data = datasets.generate(config)
    else:
        source = Path(str(config.file))
        if not source.exists():
            raise DataError(
                f"data.file = {config.file!r}: no such file (a queued `dvc exp run` sees only "
                "files git tracks: commit or `git add` it)"
            )
        data = tables.read_own_dataset(source, config)
    tablewriter.write_dataset(args.dataset, data)
    shown = config.file if config.kind == params.OWN_KIND else config.kind
    return f"{args.dataset} ({len(data)} rows, {data.n_features} features, {shown})"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        reads=["data"],
        dataset=_stage.Output("CSV to write (the features by name, then the label as 0/1)"),
    )
