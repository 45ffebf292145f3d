"""Wall time of the README's hidden-size sweep through DVC's queue, and what each experiment
costs beyond training.

    python benchmarks/sweep_speed.py [--target 2.3]

In a throwaway copy of the project at the default params (tests/pipeline.py's `Project`):
`dvc repro` and a commit make the baseline; then the README's commands, timed from the first to
the moment the last experiment is recorded:

    dvc exp run --queue -S 'nn.hidden_units=1,2,3,4,5,20,50'
    dvc queue start -j 2

Training time per experiment is what its `train_nn` reports (`dvc queue logs`). The overhead per
experiment is the workers' busy time (2 × wall) minus training, over the experiments. The
reference, measured just before and just after in the same run (their mean): the same queue of
seven experiments on a pipeline of one stage that does nothing, i.e. what DVC's queue costs by
itself. Finally one value is run again with `dvc exp run -S`: it must be restored from the
run-cache, not retrained. This host's speed varies by tens of percent from hour to hour, so the
check is a ratio: exits non-zero if the sweep takes longer than `--target` times the reference,
or the repeat trains. The default guards against regressions; the issue's goal of 25 s is a
tighter ratio that DVC's own share leaves out of reach (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.repro_overhead import add_target, timed, training_seconds
from tests.pipeline import Project

SIZES = (1, 2, 3, 4, 5, 20, 50)
WORKERS = 2
TIMEOUT = 600


def finished(project: Project) -> int:
    """How many queued experiments have finished, by the result file the queue writes for each
    (polled often, so cheap; `dvc queue status` then confirms)."""
    results = project.root / ".dvc" / "tmp" / "exps" / "celery" / "result"
    return len(list(results.iterdir())) if results.is_dir() else 0


def wait_for(project: Project, count: int) -> str:
    """Block until `count` experiments have finished; return `dvc queue status`."""
    deadline = time.monotonic() + TIMEOUT
    while finished(project) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return project.dvc("queue", "status").stdout


def start_queue(project: Project) -> None:
    """`dvc queue start`, which returns at once: its workers are detached, and would keep a
    captured output pipe open until they exit (after the queue has been idle for 10 s)."""
    subprocess.run(
        [sys.executable, "-m", "dvc", "queue", "start", "-j", str(WORKERS)],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )


EMPTY_PIPELINE = """stages:
  record:
    cmd: python -c "open('record.txt', 'w').write('done')"
    params: [nn]
    outs: [record.txt]
"""
"""The reference: one stage that does nothing but depends on the swept params section."""


def queued_sweep(project: Project) -> tuple[float, str]:
    """Queue the sweep on a committed baseline, start the workers, wait: wall seconds, status."""
    project.dvc("repro")
    project.commit("baseline")
    start = time.perf_counter()
    project.dvc("exp", "run", "--queue", "-S", f"nn.hidden_units={','.join(map(str, SIZES))}")
    start_queue(project)
    status = wait_for(project, len(SIZES))
    return time.perf_counter() - start, status


def empty_queue(root: Path) -> float:
    """The reference: wall seconds of the same queue on a pipeline that does nothing."""
    empty = Project.copy_of_sources(root, nn={})
    (empty.root / "dvc.yaml").write_text(EMPTY_PIPELINE)
    floor, _ = queued_sweep(empty)
    empty.dvc("queue", "stop", "--kill", check=False)
    return floor


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_target(parser, 2.3, "wall time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        floors = [empty_queue(Path(folder) / "empty-before")]
        project = Project.copy_of_sources(Path(folder) / "project", nn={})
        wall, status = queued_sweep(project)
        names = [line.split()[1] for line in status.splitlines() if "Success" in line]
        training = {
            name: training_seconds(project.dvc("queue", "logs", name).stdout) for name in names
        }
        project.dvc("queue", "stop", "--kill", check=False)
        floors.append(empty_queue(Path(folder) / "empty-after"))
        floor = statistics.mean(floors)
        repeat, output = timed(
            project, sys.executable, "-m", "dvc", "exp", "run", "-S", f"nn.hidden_units={SIZES[3]}"
        )
    failed = status.count("Success") != len(SIZES)
    trained = training_seconds(output) > 0 or "Stage 'train_nn' is cached" not in output
    overhead = (WORKERS * wall - sum(training.values())) / len(SIZES)
    print(f"sweep of {len(SIZES)} hidden sizes, {WORKERS} workers: {wall:.1f} s wall")
    print("the same queue of a pipeline that does nothing, before and after: ", end="")
    print(f"{floors[0]:.1f} and {floors[1]:.1f} s wall")
    print(f"sweep / reference: {wall / floor:.2f} (target {args.target})")
    print(f"training: {sum(training.values()):.1f} s in all, per experiment ", end="")
    print(", ".join(f"{seconds:.1f}" for seconds in sorted(training.values())))
    print(f"overhead per experiment beyond training: {overhead:.1f} s of a worker's time", end="")
    print(f" (the empty pipeline's: {WORKERS * floor / len(SIZES):.1f} s)")
    print(f"hidden_units={SIZES[3]} again: {repeat:.1f} s, ", end="")
    print("retrained" if trained else "restored from the run-cache")
    ok = wall <= args.target * floor and not trained and not failed
    print("PASS" if ok else "FAIL" + (f": queue status\n{status}" if failed else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
