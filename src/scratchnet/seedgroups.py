"""Seed replicates: the baseline and its experiments grouped by every parameter but the
seeds (SEEDS), so each configuration's spread over its seeds can be shown
(`tools/compare.py --seeds`)."""

from __future__ import annotations

import dataclasses

import numpy as np

from scratchnet.errors import DataError
from scratchnet.experiments import SEEDS, Baseline, Run, describe, differences, newest


def configuration(baseline: Run, run: Run) -> str:
    """How a run's configuration differs from the baseline's, seeds aside: "the baseline" or
    the parameters that differ, as key=value."""
    changed = [key for key in differences(baseline, run) if key not in SEEDS]
    return ", ".join(describe(key, run.params.get(key)) for key in changed) or "the baseline"


@dataclasses.dataclass(frozen=True)
class SeedGroup:
    """The runs of one configuration, which differ from each other in their seeds alone."""

    label: str
    runs: list[Run]

    @property
    def varied(self) -> list[str]:
        """The seeds that take more than one value among the runs."""
        return [
            seed for seed in SEEDS if len({repr(run.params.get(seed)) for run in self.runs}) > 1
        ]

    def accuracies(self, key: str) -> np.ndarray:
        return np.array([run.metrics.get(key, np.nan) for run in self.runs], dtype=float)


def seed_groups(baseline: Baseline) -> tuple[list[SeedGroup], list[str]]:
    """The baseline and its experiments grouped by every parameter but SEEDS, each group
    labelled by how it differs from the baseline; only groups with two or more runs (for runs
    with the same seeds too, the newest), and notes on what was left out."""

    def label(run: Run) -> str:
        return configuration(baseline.run, run)

    def seeds(run: Run) -> str:
        return f"{label(run)} with " + ", ".join(describe(s, run.params.get(s)) for s in SEEDS)

    runs, notes = newest([baseline.run, *baseline.experiments.values()], seeds)
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(label(run), []).append(run)
    singles = sorted(label for label, members in grouped.items() if len(members) < 2)
    if singles:
        notes.append(f"ran with one set of seeds only, left out: {'; '.join(singles)}")
    groups = [
        SeedGroup(label, sorted(members, key=lambda run: run.name))
        for label, members in grouped.items()
        if len(members) >= 2
    ]
    if not groups:
        raise DataError(
            "no configuration ran with more than one set of seeds: queue runs with other "
            f"{', '.join(SEEDS)} first"
        )
    groups.sort(key=lambda group: (group.label != "the baseline", group.label))
    return groups, [*baseline.left_out, *notes]
