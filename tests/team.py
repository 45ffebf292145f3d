"""What the team tests share: a DVC remote (a folder, or S3 on the local moto server), a
baseline published to a bare git origin and to that remote, clones of it, the experiments a
clone sees, and the steps of the CI sweep workflow."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from tests.pipeline import ROOT, Project, stages_run

BUCKET = "scratchnet"
"""The bucket the `s3_endpoint` fixture creates."""
WORKFLOW = ROOT / ".github" / "workflows" / "sweep.yml"


class DirectoryRemote:
    """A folder as the DVC remote, as on a shared drive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()

    def add_to(self, project: Project) -> None:
        project.dvc("remote", "add", "-d", "storage", str(self.path))

    def stored(self) -> list[str]:
        """Every file in the remote, relative to its root (`files/md5/…`, `runs/…`)."""
        files = (path for path in self.path.rglob("*") if path.is_file())
        return sorted(path.relative_to(self.path).as_posix() for path in files)


class S3Remote:
    """`s3://scratchnet/<prefix>` on the S3 server at `endpoint`. The endpoint is committed with
    the remote (it names the team's server); credentials come from the environment only."""

    def __init__(self, endpoint: str, prefix: str) -> None:
        self.endpoint = endpoint
        self.prefix = prefix
        self.url = f"s3://{BUCKET}/{prefix}"

    def add_to(self, project: Project) -> None:
        project.dvc("remote", "add", "-d", "storage", self.url)
        project.dvc("remote", "modify", "storage", "endpointurl", self.endpoint)

    def stored(self) -> list[str]:
        """Every object under the remote's prefix, relative to it, listed through S3's API.
        boto3 is imported here: tests/test_ci_workflow.py imports this module, and a run without
        the S3 tests should not pay for it (half a second)."""
        import boto3

        pages = (
            boto3.client("s3", endpoint_url=self.endpoint)
            .get_paginator("list_objects_v2")
            .paginate(Bucket=BUCKET, Prefix=f"{self.prefix}/")
        )
        return sorted(
            item["Key"].removeprefix(f"{self.prefix}/")
            for page in pages
            for item in page.get("Contents", [])
        )


Remote = DirectoryRemote | S3Remote


def publish_baseline(base: Path, remote: Remote, stages: list[str] | None = None) -> Project:
    """`base/a`: the sources with `remote` committed as the DVC remote, reproduced and committed,
    pushed to the bare git repository `base/origin.git` and, with the run-cache, to `remote`.
    `stages`, if given: the stages the repro must run, in order."""
    origin = base / "origin.git"
    Project(base).run("git", "init", "-q", "--bare", "--initial-branch=main", str(origin))
    a = Project.copy_of_sources(base / "a")
    remote.add_to(a)
    a.commit("the team's DVC remote")
    reproduced = a.dvc("repro")
    if stages is not None:
        assert stages_run(reproduced.stdout) == stages
    a.commit("reproduce")
    a.git("remote", "add", "origin", str(origin))
    a.git("push", "-q", "origin", "main")
    a.dvc("push", "--run-cache")
    assert remote.stored(), "dvc push put nothing in the remote"
    return a


def clone(base: Path, name: str) -> Project:
    """A fresh clone of `base/origin.git` at `base/name`, with no DVC cache."""
    Project(base).run("git", "clone", "-q", str(base / "origin.git"), str(base / name))
    return Project(base / name)  # its own env: PYTHONPATH points at the clone's src


def experiment_revs(project: Project) -> dict[str, str]:
    """Experiment name -> commit SHA, from `dvc exp show --json`."""
    revs = {}
    for baseline in json.loads(project.dvc("exp", "show", "--json").stdout):
        for group in baseline.get("experiments") or []:
            for entry in group["revs"]:
                if entry.get("name"):
                    revs[entry["name"]] = entry["rev"]
    return revs


def workflow() -> dict:
    """.github/workflows/sweep.yml, read as YAML 1.2 as GitHub does (`on` stays a key)."""
    return YAML(typ="safe").load(WORKFLOW)


def workflow_step(job: str, step_id: str) -> str:
    """The shell script of the step with id `step_id` in `job` of the sweep workflow."""
    steps = workflow()["jobs"][job]["steps"]
    return next(step["run"] for step in steps if step.get("id") == step_id)


def restore_experiment(project: Project, name: str) -> None:
    """The README's way to get a teammate's experiment: `dvc exp pull origin NAME`,
    `dvc exp apply NAME`, `dvc pull`."""
    project.dvc("exp", "pull", "origin", name)
    project.dvc("exp", "apply", name)
    project.dvc("pull")
