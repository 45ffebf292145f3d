"""What every stage script shares: its command line and how it ends (not part of the library:
`src/scratchnet` holds no paths or argument parsing).

A stage fails with one line on stderr naming the problem and a non-zero exit status; SIGTERM is
turned into an exception like Ctrl-C, so `io.commit` removes its temporary files on the way out.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from scratchnet.errors import ScratchnetError
from scratchnet.io import InterruptedAfterCommit

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def parse_args(description: str | None, argv: list[str] | None, **paths: str) -> argparse.Namespace:
    """`--params` plus one `--<name>` option per path (defaults are the paths in dvc.yaml)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    for name, default in paths.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=Path, default=Path(default))
    return parser.parse_args(argv)


class Terminated(KeyboardInterrupt):
    """Raised in place of SIGTERM's default action so cleanup code runs."""


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(f"terminated by signal {signum}")


def run(main: Callable[[], None]) -> None:
    """Run a stage's `main`, turning expected failures into a message and an exit status."""
    signal.signal(signal.SIGTERM, _terminate)
    name = Path(sys.argv[0]).stem
    try:
        main()
    except ScratchnetError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt as interruption:
        reason = str(interruption) or "interrupted"
        if isinstance(interruption, InterruptedAfterCommit):
            outcome = "all of its outputs had just been written"
        else:
            outcome = "earlier outputs left unchanged"
        print(f"{name}: {reason}; {outcome}", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
