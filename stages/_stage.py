"""What every stage script shares: its command line and how it ends.

`dvc.yaml` passes every path on the command line; the scripts hold no second copy. A stage fails
with one line on stderr and a non-zero exit status: 1 for bad input, 130 for Ctrl-C or SIGTERM.
The handlers are in place before `main` runs, and stages import NumPy and scratchnet inside
`main`, so an interruption during those slow imports ends the same way. Outputs are written
atomically (`scratchnet.io.write_bytes`), so an interrupted stage leaves no half-written file.
"""

from __future__ import annotations

import argparse
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from scratchnet.errors import ScratchnetError  # standard library only: no slow imports yet

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


class Terminated(KeyboardInterrupt):
    """Raised in place of SIGTERM's default action, so cleanup code runs as for Ctrl-C."""


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(f"terminated by signal {signum}")


def run(
    main: Callable[[argparse.Namespace], str],
    description: str | None,
    argv: list[str] | None = None,
    **paths: str,
) -> None:
    """Parse `--params` and one required `--<name> PATH` per entry of `paths` (its help text),
    run `main(args)`, print the line it returns (what the stage wrote), and turn expected
    failures into one line and an exit status."""
    signal.signal(signal.SIGTERM, _terminate)
    name = Path(sys.argv[0]).stem
    warnings.showwarning = lambda message, *_: print(f"{name}: warning: {message}", file=sys.stderr)
    try:
        parser = argparse.ArgumentParser(prog=name, description=description)
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
        print(f"{name}: wrote {main(parser.parse_args(argv))}")
    except KeyboardInterrupt as interruption:
        reason = str(interruption) or "interrupted"
        print(f"{name}: {reason}; no output was half-written", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except ScratchnetError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
