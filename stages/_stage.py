"""What every stage script shares: its command line and how it ends.

`dvc.yaml` passes every path on the command line; the scripts hold no second copy. A stage fails
with one line on stderr and a non-zero exit status: 1 for bad input, 130 for Ctrl-C or SIGTERM.

Before any work, each output is checked: a regular file or nothing yet, and no input's or other
output's file. The stage writes its outputs beside their targets (`scratchnet.files.staged`);
once it is done, the params it read are read again and, only if they are unchanged, all its
outputs are renamed into place at once, Ctrl-C and SIGTERM held back meanwhile. So a stage leaves
all its outputs or none, and never outputs made with params other than those the params file
(which DVC records in dvc.lock after the stage) holds when it ends.

Ctrl-C and SIGTERM are handled from the moment this module is imported (the first thing each
stage script does) until the process ends: the handler removes the temporary files of this
stage's outputs, prints one line saying whether they had been written, and ends the process at
once. Raising an exception instead would land wherever Python happens to be, which during an
import or inside matplotlib can be swallowed or turned into an unrelated error. The process ends
through `os._exit` once its last line is flushed: the interpreter's shutdown, during which a
signal would end it with no line, never starts. Every line survives any locale (characters its
encoding lacks are escaped).

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
SIGNALS = {signal.SIGINT, signal.SIGTERM}
_paths: list[Path] = []
"""The paths on this stage's command line, once parsed: where temporary files may be."""
_committed = False
"""Whether this stage's outputs are in place: what a signal's line says."""


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    # Not (fully) imported yet: nothing can have been written yet.
    remove_leftovers = getattr(sys.modules.get("scratchnet.files"), "remove_leftovers", None)
    if remove_leftovers is not None and not _committed:
        for path in _paths:
            remove_leftovers(path)
    reason = "interrupted" if signum == signal.SIGINT else "terminated"
    outcome = " after all its outputs were written" if _committed else "; no output was written"
    line = f"{NAME}: {reason} (signal {signum}){outcome}\n"
    os.write(2, line.encode(errors="backslashreplace"))
    os._exit(EXIT_INTERRUPTED)


for _signum in SIGNALS:
    signal.signal(_signum, _interrupted)
for _stream in (sys.stdout, sys.stderr):
    _stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]

SOURCES = Path(__file__).resolve().parents[1] / "src"
"""The package that runs is the one beside this script, the one `dvc.yaml` hashes
(`deps: src/scratchnet`), whatever else is installed: an editable install points at the
workspace, while DVC's queue runs each experiment in a temporary clone of the stashed sources."""
sys.path.insert(0, str(SOURCES))

import argparse  # noqa: E402  (after the handlers: a Ctrl-C from here on is one line)
import dataclasses  # noqa: E402
import json  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import Any, TextIO  # noqa: E402

from scratchnet import files, paramsfile  # noqa: E402  (standard library only)
from scratchnet.errors import ParamsError, ScratchnetError, quote  # noqa: E402


class Output(str):
    """The help text of an option that names an output (the others name inputs)."""


Entries = dict[str, Any]
"""Params by dotted key (`nn.hidden_units`), as the params file holds them."""


class _Absent:
    """A key or section the params file does not hold."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = _Absent()


def _entries(document: dict[str, Any], reads: Sequence[str]) -> Entries:
    """The params that `reads` names (sections, or `section.key` as in dvc.yaml) in `document`."""
    found: Entries = {}
    for entry in reads:
        section, _, key = entry.partition(".")
        values = document.get(section)
        if key:
            found[entry] = values.get(key, ABSENT) if isinstance(values, dict) else ABSENT
        elif isinstance(values, dict):
            found.update({f"{section}.{name}": value for name, value in values.items()})
        else:
            found[section] = ABSENT if values is None else values
    return found


def _read_entries(path: Path, reads: Sequence[str]) -> Entries | None:
    """`_entries` of the params file at `path` now; None if it cannot be read (the stage itself
    then says why, or reads a file that changed since)."""
    try:
        return _entries(paramsfile.read_params(path), reads)
    except ScratchnetError:
        return None


def _check_params_unchanged(path: Path, reads: Sequence[str], before: Entries | None) -> None:
    """Refuse to finish when the params the stage read are no longer what the file holds: DVC
    would record the new ones as the params of outputs made with the old."""
    try:
        now = _entries(paramsfile.read_params(path), reads)
    except ScratchnetError as error:
        raise ParamsError(
            f"{path} changed while the stage ran and cannot be read now ({error}); "
            "nothing was written"
        ) from None
    if now == before:
        return
    changes = (
        [
            f"{key}: {quote(before.get(key, ABSENT))} -> {quote(now.get(key, ABSENT))}"
            for key in sorted(before.keys() | now.keys())
            if before.get(key, ABSENT) != now.get(key, ABSENT)
        ]
        if before is not None
        else []
    )
    shown = f" ({', '.join(changes[:3])}{', …' if len(changes) > 3 else ''})" if changes else ""
    raise ParamsError(
        f"{path} changed while the stage ran{shown}; nothing was written; run it again"
    )


def _commit(staging: files.Staging) -> None:
    """Put every output in place, Ctrl-C and SIGTERM held back until they all are (or none)."""
    global _committed
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        staging.commit()
        _committed = True
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def _end(line: str, stream: TextIO, status: int) -> None:
    """Print the stage's last line and end the process with `status`, skipping the
    interpreter's shutdown (a signal during it would end the process with no line)."""
    try:
        print(line, file=stream)
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the status still tells
        pass
    os._exit(status)


def _params_help(reads: Sequence[str]) -> str:
    """The params the stage reads, each with its value in ./params.yaml (or its default)."""
    try:
        document = paramsfile.read_params("params.yaml")
    except ScratchnetError:
        document = {}
    classes = {name: cls for cls, name in paramsfile.SECTION_NAMES.items()}
    lines = []
    for entry in reads:
        section, _, key = entry.partition(".")
        values = document.get(section)
        for field in dataclasses.fields(classes[section]):
            if key and field.name != key:
                continue
            if isinstance(values, dict) and field.name in values:
                shown = json.dumps(values[field.name], default=str)
            elif field.default is not dataclasses.MISSING:
                shown = f"{json.dumps(field.default)} (default)"
            else:
                shown = "(required)"
            lines.append(f"  {f'{section}.{field.name}':<20} {shown}")
    heading = "params it reads (values in ./params.yaml; DVC reruns the stage when one changes):"
    return "\n".join(["", heading, *lines, ""])


class _Parser(argparse.ArgumentParser):
    """argparse's parser, its help ending with the params the stage reads."""

    def __init__(self, reads: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reads = reads

    def format_help(self) -> str:
        return super().format_help() + _params_help(self.reads)


def run(
    main: Callable[[argparse.Namespace], str],
    description: str | None,
    argv: list[str] | None = None,
    *,
    reads: Sequence[str],
    **paths: str,
) -> None:
    """Parse `--params` and one required `--<name> PATH` per entry of `paths` (its help text,
    an `Output` for an output), check the outputs, run `main(args)` with its writes staged,
    check that the params `reads` names (as dvc.yaml does) did not change meanwhile, put the
    outputs in place and print the line `main` returned (what the stage wrote); turn expected
    failures into one line and an exit status."""
    warnings.showwarning = lambda message, *_: print(f"{NAME}: warning: {message}", file=sys.stderr)
    parser = _Parser(reads, prog=NAME, description=description)
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
    outputs: dict[str, Path] = {}
    inputs = {"--params": args.params}
    for option, help_text in paths.items():
        kind = outputs if isinstance(help_text, Output) else inputs
        kind[f"--{option.replace('_', '-')}"] = getattr(args, option)
    _paths.extend([*inputs.values(), *outputs.values()])
    try:
        files.check_outputs(outputs, inputs)
        before = _read_entries(args.params, reads)
        with files.staged() as staging:
            wrote = main(args)
            _check_params_unchanged(args.params, reads, before)
            _commit(staging)
    except ScratchnetError as error:
        _end(f"{NAME}: error: {error}", sys.stderr, EXIT_ERROR)
    except MemoryError:  # where no bound of ours foresaw it: still one line, nothing written
        _end(f"{NAME}: error: not enough memory; nothing was written", sys.stderr, EXIT_ERROR)
    _end(f"{NAME}: wrote {wrote}", sys.stdout, 0)
