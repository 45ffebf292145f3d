"""A user's data at scale: the six stages on a generated CSV of a million rows, and how reading
it compares with pandas; with `--shapes`, the reader's peak memory on large files of odd shapes.

    python benchmarks/data_scale.py [--rows 1000000] [--features 10] [--keep]
    python benchmarks/data_scale.py --shapes [--keep]

In a temporary folder, writes a CSV as a user would bring it (`data/own/big.csv`: named feature
columns of floats in shortest round-trip form, then a label column of "yes"/"no" that follows a
nonlinear rule of the features plus noise, seeded) and a params.yaml naming it in `data.kind`:
every key of the project's params.yaml, with the network shrunk to 8 hidden units and 2 epochs
(training at this size is another benchmark's business). Then runs each stage of dvc.yaml, in
order, as its own process with dvc.yaml's command line (the project's scripts, the folder as the
working directory), and measures its wall time and peak resident memory (`os.wait4`).

Targets: generate and split (each writes a table of a million rows) at most 15 s, train_logreg,
evaluate and plot at most 10 s, each of them at most 2 GiB at its peak; train_nn is measured but
not bound. Reading: `scratchnet.tables.read_own_dataset` on the user's CSV and
`scratchnet.tables.read_dataset` on the training split, each timed against `pandas.read_csv` of
the same file in this process (alternating, the median of `--repeats` each, pandas imported
beforehand), at most `--read-target` times pandas; and, for information, against pandas on one
thread (pandas 3 parses a whole file on several). Exits 1 when a target is missed, 2 when a
stage fails (its stderr is printed). `--keep` keeps the folder (its path is printed), e.g. to
look at the figures the plot stage drew.

`--shapes` writes, one at a time, files near the limits in the shapes that cost the old reader
most memory: 1,000 float features (660 MB), a spreadsheet's empty rows and blank lines (150 MB
each, after a few rows), 10,000,000 rows of two features. For each it times
`tables.read_own_dataset` in a child process and takes its peak RSS, which must stay within
READ_FACTOR times the file's size plus READ_SLACK (start-up included); then it runs the generate
stage on it (read, check and write the pipeline's table), timed and measured, not bound.

A child's peak RSS on Linux is at least the peak of the process that started it (the kernel
carries the parent's over the fork and exec), so the stages run while this process is small,
before the reading comparison loads the file. The peak of a child that only starts Python is
printed: the floor under every figure; a figure above it is the stage's own peak.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

GIB = 1 << 30
MIB = 1 << 20
OWN_FOLDER = "data/own"
CSV = f"{OWN_FOLDER}/big.csv"
LABEL = "outcome"
POSITIVE = "yes"
SEED = 20_261_205
BLOCK_VALUES = 10 << 15
"""Features drawn and formatted at a time (whole rows), so that writing the CSV needs little
memory: a child's peak includes this process's."""
LIMITS: dict[str, tuple[float, int]] = {
    "generate": (15.0, 2 * GIB),
    "split": (15.0, 2 * GIB),
    "train_logreg": (10.0, 2 * GIB),
    "evaluate": (10.0, 2 * GIB),
    "plot": (10.0, 2 * GIB),
}
"""Each bound stage's limits: seconds of wall time, bytes of peak RSS. A stage that writes a
table of every row (generate, split) gets 15 s."""
NN = {"hidden_units": 8, "epochs": 2}
"""The network's params here: few epochs, the shape small."""
READ_FACTOR = 4
READ_SLACK = 160 * MIB
"""A reading's bound: 8 bytes for each number kept (a number takes at least 2 bytes of the file),
plus start-up (Python, NumPy, pandas: about 70 MiB) and pandas' working memory for one chunk."""
SHAPE_ROWS = 4
"""Rows of numbers before the empty rows or blank lines of those shapes."""
READ = """
import sys
from scratchnet import params, paramsfile, tables
config = paramsfile.read_section("params.yaml", params.DataParams)
try:
    data = tables.read_own_dataset(config.file, config)
    print(f"{len(data):,} rows x {data.n_features} features")
except Exception as error:
    print(f"{type(error).__name__}: {error}"[:160])
"""
"""A child process's reading of the user's CSV that params.yaml names: the shape read, or the
one line of its refusal."""


def write_user_csv(path: Path, rows: int, features: int, seed: int) -> list[str]:
    """A user's CSV: `features` float columns, then LABEL ("yes"/"no": a nonlinear rule of the
    first features plus noise). Returns the feature names."""
    names = [f"sensor_{index + 1:02d}" for index in range(features)]
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join([*names, LABEL]) + "\n")
        block = max(1, BLOCK_VALUES // features)
        for start in range(0, rows, block):
            x = rng.standard_normal((min(block, rows - start), features))
            column = [x[:, index % features] for index in range(4)]
            score = (
                column[0] * column[1]
                + np.sin(2 * column[2])
                + 0.5 * column[3] ** 2
                - 0.5
                + 0.5 * rng.standard_normal(len(x))
            )
            labels = np.where(score > 0, POSITIVE, "no").tolist()
            cells = map(float.__repr__, x.ravel().tolist())  # shortest round-trip form
            records = zip(*[cells] * features, labels, strict=True)  # `features` cells a row
            handle.write("".join(f"{','.join(record)}\n" for record in records))
    return names


def write_params(folder: Path) -> dict:
    """The project's params.yaml with data.kind naming the CSV and the network made small;
    "yes" quoted, as YAML 1.1 would read it as true."""
    yaml = YAML()
    yaml.representer.add_representer(
        type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    document = yaml.load(ROOT / "params.yaml")
    positive = DoubleQuotedScalarString(POSITIVE)
    document["data"].update(kind="own", file=CSV, label=LABEL, positive=positive)
    document["nn"].update(NN)
    yaml.dump(document, folder / "params.yaml")
    return document


def stage_commands() -> dict[str, list[str]]:
    """Each stage's command line from dvc.yaml, in its order, with this interpreter and the
    project's scripts by absolute path."""
    stages = YAML(typ="safe").load(ROOT / "dvc.yaml")["stages"]
    commands = {}
    for name, stage in stages.items():
        argv = shlex.split(stage["cmd"])
        if argv[0] != "python":
            raise SystemExit(f"stage {name}: cmd does not start with python: {stage['cmd']}")
        commands[name] = [sys.executable, str(ROOT / argv[1]), *argv[2:], "--params", "params.yaml"]
    return commands


def measured(argv: list[str], cwd: Path, log: Path) -> tuple[float, int, int]:
    """Run `argv` in `cwd` (stdout and stderr to `log`.out/.err): wall seconds, peak RSS in
    bytes, exit status."""
    with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss * 1024, process.returncode  # ru_maxrss: KiB on Linux


def median_times(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The median wall time of each function, called in turn `repeats` times."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            result = function()
            times[name].append(time.perf_counter() - start)
            del result
    return {name: statistics.median(values) for name, values in times.items()}


def one_thread(read: Callable[[], object]) -> Callable[[], object]:
    """`read` with pandas on one thread: pandas 3 parses a whole file on several threads, which
    a reader that parses it a chunk at a time (to bound its memory) cannot."""
    import pandas as pd

    def read_on_one_thread() -> object:
        with pd.option_context("mode.max_threads", 1):
            return read()

    return read_on_one_thread


def limit_text(name: str) -> str:
    if name not in LIMITS:
        return "none"
    seconds, peak = LIMITS[name]
    return f"{seconds:g} s, {peak / GIB:g} GiB"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="default: %(default)s")
    parser.add_argument("--features", type=int, default=10, help="default: %(default)s")
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed reads of each kind (default: %(default)s)"
    )
    parser.add_argument(
        "--read-target",
        type=float,
        default=3.0,
        help="largest reading time allowed, in units of pandas.read_csv's (default: %(default)s)",
    )
    parser.add_argument(
        "--shapes", action="store_true", help="the reader's memory on large files of odd shapes"
    )
    parser.add_argument("--keep", action="store_true", help="keep the folder and print its path")
    args = parser.parse_args()
    if args.rows < 4 or args.features < 1:
        parser.error("need --rows >= 4 and --features >= 1")
    folder = Path(tempfile.mkdtemp(prefix="scratchnet-scale-"))
    try:
        return run_shapes(folder) if args.shapes else run(folder, args)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, args: argparse.Namespace) -> int:
    start = time.perf_counter()
    write_user_csv(folder / CSV, args.rows, args.features, SEED)
    size = (folder / CSV).stat().st_size
    print(
        f"wrote {CSV}: {args.rows:,} rows × {args.features} features + {LABEL}, "
        f"{size / MIB:,.0f} MiB, in {time.perf_counter() - start:.1f} s"
    )
    document = write_params(folder)
    logs = folder / "logs"
    logs.mkdir()
    _, floor, _ = measured([sys.executable, "-c", "pass"], folder, logs / "floor")
    results: dict[str, tuple[float, int]] = {}
    for name, argv in stage_commands().items():
        seconds, peak, status = measured(argv, folder, logs / name)
        results[name] = seconds, peak
        if status != 0:
            print(f"{name} failed (exit status {status}): {shlex.join(argv)}", file=sys.stderr)
            sys.stderr.write(logs.joinpath(f"{name}.err").read_text(errors="replace"))
            return 2
        last = logs.joinpath(f"{name}.out").read_text().strip().splitlines()[-1:]
        print(f"  {name}: {seconds:.2f} s; {' '.join(last)}")

    ok = True
    print()
    print(f"{'stage':<13} {'seconds':>8} {'peak MiB':>9}  {'limit':<14} result")
    for name, (seconds, peak) in results.items():
        verdict = ""
        if name in LIMITS:
            passed = seconds <= LIMITS[name][0] and peak <= LIMITS[name][1]
            verdict = "PASS" if passed else "FAIL"
            ok &= passed
        print(f"{name:<13} {seconds:8.2f} {peak / MIB:9.0f}  {limit_text(name):<14} {verdict}")
    print(f"(peak of a child that only starts Python, the floor under each: {floor / MIB:.0f} MiB)")

    import pandas as pd

    from scratchnet import params, paramsfile, tables

    config = paramsfile.section(document, params.DataParams)
    split_argv = stage_commands()["split"]
    train = folder / split_argv[split_argv.index("--train") + 1]
    readings = {
        "read_own_dataset (user's CSV)": (
            lambda: tables.read_own_dataset(folder / CSV, config),
            lambda: pd.read_csv(folder / CSV),
        ),
        "read_dataset (training split)": (
            lambda: tables.read_dataset(train),
            lambda: pd.read_csv(train),
        ),
    }
    print()
    print(f"reading, median of {args.repeats} each, alternating with pandas.read_csv:")
    for name, (ours, theirs) in readings.items():
        times = median_times(
            {"ours": ours, "pandas": theirs, "one": one_thread(theirs)}, args.repeats
        )
        ratio = times["ours"] / times["pandas"]
        passed = ratio <= args.read_target
        ok &= passed
        print(
            f"  {name:<30} {times['ours']:6.2f} s, pandas.read_csv {times['pandas']:6.2f} s: "
            f"ratio {ratio:.2f} (target {args.read_target:g}) {'PASS' if passed else 'FAIL'}; "
            f"pandas on one thread {times['one']:.2f} s: ratio {times['ours'] / times['one']:.2f}"
        )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def write_shape(path: Path, shape: str) -> None:
    """A user's CSV of `shape` (see the module's docstring) near the limits."""
    if shape == "wide":
        write_user_csv(path, 33_000, 1_000, SEED)
    elif shape == "many rows":
        write_user_csv(path, 10_000_000, 2, SEED)
    else:
        write_user_csv(path, SHAPE_ROWS, 1_000 if shape == "empty rows" else 2, SEED)
        line = "," * 1_000 if shape == "empty rows" else " " * 15
        block = f"{line}\n" * ((1 << 20) // (len(line) + 1))
        with path.open("a", encoding="utf-8") as handle:
            while handle.tell() < 150_000_000:
                handle.write(block)


def run_shapes(folder: Path) -> int:
    """The reader and the generate stage on each shape: time and peak RSS; the reader's peak
    bound by READ_FACTOR and READ_SLACK."""
    write_params(folder)
    generate = stage_commands()["generate"]
    logs = folder / "logs"
    logs.mkdir()
    read = [sys.executable, "-c", READ]
    ok = True
    print(
        f"{'shape':<11} {'MB':>5}  {'read s':>6} {'peak MiB':>8} {'bound':>6}  result  "
        f"{'generate s':>10} {'peak MiB':>8}  read"
    )
    for shape in ("wide", "empty rows", "blank lines", "many rows"):
        path = folder / CSV
        write_shape(path, shape)
        size = path.stat().st_size
        bound = READ_FACTOR * size + READ_SLACK
        seconds, peak, _ = measured(read, folder, logs / "read")
        stage_seconds, stage_peak, _ = measured(generate, folder, logs / "generate")
        passed = peak <= bound
        ok &= passed
        outcome = logs.joinpath("read.out").read_text().strip()
        print(
            f"{shape:<11} {size / 1e6:5.0f}  {seconds:6.2f} {peak / MIB:8.0f} {bound / MIB:6.0f}  "
            f"{'PASS' if passed else 'FAIL':<6}  {stage_seconds:10.2f} {stage_peak / MIB:8.0f}  "
            f"{outcome}"
        )
        path.unlink()
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
