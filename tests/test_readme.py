"""The README's recipes, read in order as a new user follows them."""

from __future__ import annotations

import re

from tests.pipeline import ROOT

README = (ROOT / "README.md").read_text()
RESTORE = "git checkout -- params.yaml"


def shell_blocks() -> list[list[str]]:
    """Each ```sh block of the README, as its command lines (comments and blank lines dropped)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
    return [
        [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


def test_every_experiment_recipe_starts_from_the_committed_params() -> None:
    """`dvc exp run` starts from params.yaml as an earlier recipe left it: each recipe that runs
    experiments restores the committed params first."""
    recipes = [block for block in shell_blocks() if any("dvc exp run" in line for line in block)]
    assert len(recipes) >= 4
    for recipe in recipes:
        assert recipe[0].startswith(RESTORE), recipe


def test_the_remote_is_set_up_before_the_first_experiment() -> None:
    """An experiment made before the remote exists carries a .dvc/config without it."""
    lines = [line for block in shell_blocks() for line in block]
    first_remote = next(i for i, line in enumerate(lines) if line.startswith("dvc remote add -d"))
    first_experiment = next(i for i, line in enumerate(lines) if "dvc exp run" in line)
    assert first_remote < first_experiment


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    [command] = [line for block in shell_blocks() for line in block if line.endswith("pytest")]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == command
