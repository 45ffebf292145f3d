"""What every stage script shares: its command line and how it ends.

`dvc.yaml` passes every path on the command line; the scripts hold no second copy. A stage fails
with one line on stderr and a non-zero exit status: 1 for bad input, 130 for Ctrl-C or SIGTERM.

Ctrl-C and SIGTERM are handled from the moment this module is imported (the first thing each
stage script does): the handler removes the temporary files of this stage's outputs, prints one
line and ends the process at once. Raising an exception instead would land wherever Python
happens to be, which during an import or inside matplotlib can be swallowed or turned into an
unrelated error. Outputs are written atomically (`scratchnet.files.write_bytes`), so ending at any
moment leaves no half-written file.

BLAS runs on one thread unless OPENBLAS_NUM_THREADS says otherwise (set here, before NumPy is
imported). The products here are small, and DVC's queue runs several stages at once: with
more threads than free cores, OpenBLAS's threads wait on each other and a large training run
slows down several-fold (benchmarks/README.md).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
NAME = Path(sys.argv[0]).stem
INPUTS = {
    "train": "training rows (CSV)",
    "test": "test rows (CSV)",
    "scaler": "standardisation statistics (.npz)",
    "nn": "network model file (.npz)",
    "logreg": "logistic-regression model file (.npz)",
}
"""The help text of each input that several stages read, by option name; evaluate and plot read
all of them."""
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
_paths: list[Path] = []
"""The paths on this stage's command line, once parsed: where temporary files may be."""


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    # Not (fully) imported yet: nothing can have been written yet.
    remove_leftovers = getattr(sys.modules.get("scratchnet.files"), "remove_leftovers", None)
    if remove_leftovers is not None:
        for path in _paths:
            remove_leftovers(path)
    reason = "interrupted" if signum == signal.SIGINT else "terminated"
    os.write(2, f"{NAME}: {reason} (signal {signum}); no output was half-written\n".encode())
    os._exit(EXIT_INTERRUPTED)


signal.signal(signal.SIGINT, _interrupted)
signal.signal(signal.SIGTERM, _interrupted)

SOURCES = Path(__file__).resolve().parents[1] / "src"
"""The package that runs is the one beside this script, the one `dvc.yaml` hashes
(`deps: src/scratchnet`), whatever else is installed: an editable install points at the
workspace, while DVC's queue runs each experiment in a temporary clone of the stashed sources."""
sys.path.insert(0, str(SOURCES))

import argparse  # noqa: E402  (after the handlers: a Ctrl-C from here on is one line)
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402

from scratchnet.errors import ScratchnetError  # noqa: E402  (standard library only)


def run(
    main: Callable[[argparse.Namespace], str],
    description: str | None,
    argv: list[str] | None = None,
    **paths: str,
) -> None:
    """Parse `--params` and one required `--<name> PATH` per entry of `paths` (its help text),
    run `main(args)`, print the line it returns (what the stage wrote), and turn expected
    failures into one line and an exit status."""
    warnings.showwarning = lambda message, *_: print(f"{NAME}: warning: {message}", file=sys.stderr)
    parser = argparse.ArgumentParser(prog=NAME, description=description)
    parser.add_argument(
        "--params",
        type=Path,
        default=Path("params.yaml"),
        metavar="PATH",
        help="params file (default: %(default)s)",
    )
    for option, help_text in paths.items():
        parser.add_argument(
            f"--{option.replace('_', '-')}",
            type=Path,
            required=True,
            metavar="PATH",
            help=help_text,
        )
    args = parser.parse_args(argv)
    _paths.extend(value for value in vars(args).values() if isinstance(value, Path))
    try:
        print(f"{NAME}: wrote {main(args)}")
    except ScratchnetError as error:
        print(f"{NAME}: error: {error}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
