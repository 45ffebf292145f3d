"""A throwaway copy of the project in its own git repository, driven through the real CLIs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from scratchnet.paramsfile import read_params

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("dvc.lock", "reports/")
"""Tracked files the pipeline writes: left out so every test starts from sources only."""
FAST_NN = {"epochs": 400, "log_every": 100}
"""Enough epochs to move the metrics, few enough to keep a repro to seconds."""


def require(available: object, what: str) -> None:
    """Skip the calling test, saying it needs `what`, unless `available` is true; under CI
    (REQUIRE_EVERY_TEST set, see conftest.py) fail it instead: CI must run every test."""
    if available:
        return
    if os.environ.get("REQUIRE_EVERY_TEST"):
        pytest.fail(f"needs {what}, and REQUIRE_EVERY_TEST is set")
    pytest.skip(f"needs {what}")


def environment(root: Path) -> dict[str, str]:
    """Git identity for CI (root, no config), no DVC analytics, and this Python first on PATH."""
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="scratchnet tests",
        GIT_AUTHOR_EMAIL="tests@scratchnet.invalid",
        GIT_COMMITTER_NAME="scratchnet tests",
        GIT_COMMITTER_EMAIL="tests@scratchnet.invalid",
        DVC_NO_ANALYTICS="1",
        PYTHONPATH=str(root / "src"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


class Project:
    """A project copy at `root`; `dvc(...)` and `git(...)` run there and return the result."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = environment(root)

    @classmethod
    def copy_of_sources(cls, root: Path, **sections: dict) -> Project:
        """Copy the git-tracked sources as they are now, apply `sections`, commit.

        Only tracked files are copied, as DVC's experiment queue does, so a stage that reads an
        untracked file fails here too.
        """
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for name in filter(None, listed.split("\0")):
            source = ROOT / name
            if name.startswith(GENERATED) or not source.is_file():
                continue
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        project = cls(root)
        project.set_params(**{"nn": FAST_NN, **sections})
        project.git("init", "-q", "-b", "main")
        project.commit("scratchnet sources")
        return project

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            command, cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "dvc", *args, check=check)

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def params(self) -> dict:
        """params.yaml as the stages and DVC read it."""
        return read_params(self.root / "params.yaml")

    def set_params(self, **sections: dict) -> None:
        """Update keys of params.yaml, keeping its comments (as `dvc exp run -S` does)."""
        yaml = YAML()
        path = self.root / "params.yaml"
        document = yaml.load(path)
        for name, values in sections.items():
            document[name].update(values)
        yaml.dump(document, path)

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()


def stage_command(project: Project, name: str, **paths: Path) -> list[str]:
    """The stage's command from dvc.yaml, run by this Python, with some `--option PATH`s
    replaced or added (`params=...` adds `--params`)."""
    cmd = YAML(typ="safe").load(project.read("dvc.yaml"))["stages"][name]["cmd"]
    command = shlex.split(cmd)
    for option, path in paths.items():
        flag = f"--{option.replace('_', '-')}"
        if flag in command:
            command[command.index(flag) + 1] = str(path)
        else:
            command += [flag, str(path)]
    return [sys.executable, *command[1:]]


def stage_outputs(stage: dict) -> list[str]:
    """The files a stage of dvc.yaml writes: its `outs`, `metrics` and `plots` entries."""
    entries = [*stage.get("outs", []), *stage.get("metrics", []), *stage.get("plots", [])]
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def stages_run(repro_output: str) -> list[str]:
    """Names of the stages a `dvc repro` / `dvc exp run` actually executed, in order."""
    prefix = "Running stage '"
    return [
        line.split(prefix, 1)[1].split("'", 1)[0]
        for line in repro_output.splitlines()
        if prefix in line
    ]
