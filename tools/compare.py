"""Compare experiments from `dvc exp show --json`: which is best, a sweep, named ones, seeds.

    python tools/compare.py                # every experiment, best first, in 80 columns
    dvc exp run --queue -S 'nn.hidden_units=1,2,3,4,5,20,50'
    dvc queue start -j 2                   # wait until `dvc queue status` shows them done
    python tools/compare.py --sweep nn.hidden_units
    python tools/compare.py exp-a exp-b    # or: named experiments
    python tools/compare.py --seeds        # or: each configuration over its seeds

With no arguments it prints the baseline and every experiment with results, best network test
accuracy first, with both models' 95 % intervals and what each changed; it writes nothing.
The others write a Markdown table and a figure (scratchnet.experiments says which runs each
takes; every run left out is named on stderr, with the reason). A tool, not a pipeline stage:
editing it reruns nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from scratchnet import experiments, exptables, files, seedgroups
from scratchnet.errors import DataError, ScratchnetError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_EXP_SHOW_BYTES = 64 << 20
"""A saved `dvc exp show --json` may be this large (about 30,000 experiments)."""
DPI = (10, 1000)
"""The figure's resolution, in dots per inch: from a thumbnail to a poster."""


def exp_show() -> Any:
    """`dvc exp show --json` of the repository in the current directory."""
    command = [sys.executable, "-m", "dvc", "exp", "show", "--json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DataError(f"dvc exp show failed: {result.stderr.strip()}")
    return _json(result.stdout, "dvc exp show --json")


def read_exp_show(path: Path) -> Any:
    """A saved `dvc exp show --json` output: a regular file of at most MAX_EXP_SHOW_BYTES."""
    return _json(files.read_text(path, MAX_EXP_SHOW_BYTES), str(path))


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise DataError(f"{source} is not valid JSON: nested too deeply") from None
    except ValueError as error:
        raise DataError(f"{source} is not valid JSON: {error}") from None


@dataclasses.dataclass(frozen=True, eq=False)
class Report:
    """What one invocation writes and says: a table, a figure, their file stem, what they
    cover, and notes on runs left out."""

    table: str
    figure: Figure
    stem: str
    covers: str
    notes: list[str]


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def report(baseline: experiments.Baseline, args: argparse.Namespace) -> Report:
    """The report the arguments ask for: seeds, a sweep or named experiments."""
    from scratchnet import expfigures  # matplotlib: only the reports that draw pay for it

    if args.seeds:
        groups, notes = seedgroups.seed_groups(baseline)
        runs = sum(len(group.runs) for group in groups)
        names = "; ".join(group.label for group in groups)
        covers = f"{_count(len(groups), 'configuration')} ({names}), {_count(runs, 'run')}"
        table, figure = exptables.seeds_table(groups), expfigures.seeds_figure(groups)
        return Report(table, figure, "seeds", covers, notes)
    if args.sweep:
        runs, notes = experiments.sweep(baseline, args.sweep)
    else:
        runs, notes = experiments.named(baseline, args.experiments), []
    stem = args.sweep.rsplit(".", 1)[-1] if args.sweep else "experiments"
    figure = expfigures.accuracy_figure(runs, args.sweep)
    return Report(exptables.markdown_table(runs), figure, stem, _count(len(runs), "run"), notes)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line, as every other failure: `compare: error: ...`."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _dpi(text: str) -> int:
    try:
        dpi = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not DPI[0] <= dpi <= DPI[1]:
        raise argparse.ArgumentTypeError(f"{dpi} is out of range: allowed {DPI[0]} to {DPI[1]}")
    return dpi


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="compare", description=__doc__.split("\n")[0])
    parser.add_argument("experiments", nargs="*", help="experiment names to compare")
    parser.add_argument(
        "--sweep", metavar="PARAM", help="every experiment that differs in PARAM alone"
    )
    parser.add_argument(
        "--seeds",
        action="store_true",
        help=f"each configuration over its runs that differ in {', '.join(experiments.SEEDS)} "
        "alone",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the table and figure (default: reports/seeds with --seeds, "
        "else reports/sweep)",
    )
    parser.add_argument(
        "--dpi",
        type=_dpi,
        default=100,
        help=f"resolution of the figure, {DPI[0]} to {DPI[1]} (default: %(default)s)",
    )
    parser.add_argument("--exp-show", type=Path, help="a saved `dvc exp show --json` output")
    args = parser.parse_args(argv)
    if [bool(args.experiments), bool(args.sweep), args.seeds].count(True) > 1:
        parser.error("give experiment names, --sweep PARAM or --seeds (one of them, or none)")
    return args


def main(argv: list[str] | None = None) -> None:
    """Print what the arguments ask for and write its files: every output or none."""
    for stream in (sys.stdout, sys.stderr):  # any locale: what it cannot encode becomes "?"
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    args = _arguments(argv)
    try:
        document = read_exp_show(args.exp_show) if args.exp_show else exp_show()
        baseline = experiments.parse(document)
        if not (args.experiments or args.sweep or args.seeds):
            table = exptables.ranking_table(baseline.run, experiments.ranked(baseline))
            print(table, end="")
            for note in baseline.left_out:
                print(f"compare: {note}", file=sys.stderr)
            return
        from scratchnet import plots

        result = report(baseline, args)
        out = args.out or Path("reports/seeds" if args.seeds else "reports/sweep")
        outputs = {
            out / f"{result.stem}.md": result.table.encode(),
            out / f"{result.stem}.png": plots.to_png(result.figure, args.dpi),
        }
        files.write_all(outputs)
    except ScratchnetError as error:
        print(f"compare: error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    print(result.table, end="")
    for note in result.notes:
        print(f"compare: {note}", file=sys.stderr)
    print(f"compare: wrote {' and '.join(map(str, outputs))} ({result.covers})", file=sys.stderr)


if __name__ == "__main__":
    main()
