"""Time around training: how long `dvc repro -f` takes beyond the network's training, and where.

    python benchmarks/repro_overhead.py [--repeats 3]

Runs in a throwaway copy of the project at the default params (tests/pipeline.py's `Project`):
one `dvc repro` to fill the cache, then `--repeats` timed `dvc repro -f`. Training time is what
`train_nn` reports as elapsed at its last epoch; the rest is the overhead this benchmark
bounds. Each stage's command is then timed alone, and DVC's own share is the difference. Exits
non-zero unless the median overhead is at most `--target` seconds.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.pipeline import Project, stage_command

STAGES = ("generate", "split", "train_nn", "train_logreg", "evaluate", "plot")


def training_seconds(output: str) -> float:
    """The elapsed time `train_nn` reports at its last epoch (0 when it did not run)."""
    found = re.findall(r"elapsed\s+([\d.]+) s", output)
    return float(found[-1]) if found else 0.0


def timed(project: Project, *command: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = project.run(*command)
    return time.perf_counter() - start, result.stdout + result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (default: %(default)s)")
    parser.add_argument(
        "--target", type=float, default=3.5, help="seconds allowed (default: %(default)s)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = Project.copy_of_sources(Path(folder) / "project", nn={})
        project.dvc("repro")
        overheads, walls, trainings = [], [], []
        for round_ in range(args.repeats):
            wall, output = timed(project, sys.executable, "-m", "dvc", "repro", "-f")
            training = training_seconds(output)
            walls.append(wall)
            trainings.append(training)
            overheads.append(wall - training)
            print(f"  round {round_ + 1}: dvc repro -f {wall:.2f} s, training {training:.2f} s")
        alone = {}
        for name in STAGES:
            seconds, output = timed(project, *stage_command(project, name))
            alone[name] = seconds - training_seconds(output)
    overhead = statistics.median(overheads)
    print(
        f"dvc repro -f: median {statistics.median(walls):.2f} s, of which training "
        f"{statistics.median(trainings):.2f} s and around training {overhead:.2f} s "
        f"(target {args.target} s)"
    )
    print("each stage alone, without training:")
    for name, seconds in alone.items():
        print(f"  {name:<13} {seconds:5.2f} s")
    print(f"  {'DVC itself':<13} {overhead - sum(alone.values()):5.2f} s (the rest)")
    ok = overhead <= args.target
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
