"""One sweep split across workers that share only a bare git origin and an S3 DVC remote (a moto
server on 127.0.0.1): each worker is a clone in its own process running the worker step of
.github/workflows/sweep.yml as it is, and a fresh clone runs the workflow's report step. Then
the failures: a worker killed mid-run, a worker whose DVC remote or git remote breaks before it
pushes (one clone, each break in turn, then fixed), and two workers given the same value.
Workers whose order does not matter run at the same time."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.pipeline import Project
from tests.team import (
    S3Remote,
    clone,
    experiment_revs,
    publish_baseline,
    restore_experiment,
    workflow_step,
)
from tools.sweep_worker import GATE

pytestmark = pytest.mark.pipeline

TIMEOUT = 300
"""Seconds a worker may take, and a test may wait for one of its lines."""
AT_GATE = "sweep_worker: waiting at the push gate"


class Worker:
    """The workflow's worker step, in `checkout`, as its own process group; its output (stdout and
    stderr) is read as it comes, so a test can wait for a line."""

    def __init__(self, checkout: Project, param: str, values: str, index: int, count: int, **env):
        self.process = subprocess.Popen(
            ["bash", "-eo", "pipefail", "-c", workflow_step("worker", "sweep")],
            cwd=checkout.root,
            env={
                **checkout.env,
                "PARAM": param,
                "VALUES": values,
                "WORKER": str(index),
                "WORKERS": str(count),
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.ended = False
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                with self.changed:
                    self.lines.append(line)
                    self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, after: str = "") -> None:
        """Until `text` is printed (after `after`); fails if the worker ends first."""

        def printed() -> bool:
            output = "".join(self.lines)
            return after in output and text in output[output.index(after) + len(after) :]

        with self.changed:
            self.changed.wait_for(lambda: self.ended or printed(), TIMEOUT)
            assert printed(), f"never printed {text!r} after {after!r}:\n{self.output()}"

    def finish(self) -> int:
        """Its exit status, once it has ended and all its output is read."""
        try:
            status = self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {TIMEOUT} s:\n{self.output()}") from None
        self.reader.join(TIMEOUT)
        return status

    def kill(self) -> None:
        """SIGKILL its whole process group (the worker, dvc and the stage), as a machine dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.finish()


class PushGate:
    """A FIFO for SWEEP_WORKER_PUSH_GATE: a worker reading it waits at its first push until
    `release()`. Held open read-write until then, so a worker's open never blocks; release only
    once every worker has said it waits (it says so after opening)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.fd: int | None = os.open(path, os.O_RDWR)

    def release(self) -> None:
        """Close the only writer: every worker reading the FIFO gets end-of-file at once."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """Workers a test starts; any still running when it ends are killed."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> tuple[Path, S3Remote]:
    """A reproduced baseline, pushed to the bare git origin and to S3: (its folder, the remote).
    Each test sweeps its own values, so experiment names never meet across tests."""
    base = tmp_path_factory.mktemp("team_sweep")
    remote = S3Remote(s3_endpoint, base.name)
    publish_baseline(base, remote)
    return base, remote


def remote_experiments(project: Project) -> list[str]:
    """Names of the experiments on the git remote `origin` (any baseline)."""
    refs = project.git("ls-remote", "origin", "refs/exps/*").stdout.split()[1::2]
    return sorted(ref.rsplit("/", 1)[-1] for ref in refs)


def restores_with_nothing_to_rerun(fresh: Project, name: str) -> None:
    """Restoring the experiment the README's way leaves nothing to run."""
    restore_experiment(fresh, name)
    assert json.loads(fresh.dvc("status", "--json").stdout) == {}, name


# --- three workers, two of them pushing at the same moment -----------------------------------

PARAM = "nn.hidden_units"
VALUES = ["1", "2", "3", "4"]
NAMES = [f"hidden_units-{value}" for value in VALUES]


@pytest.fixture(scope="module")
def swept(
    team: tuple[Path, S3Remote], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Project, str]:
    """Workers 0, 1 and 2 of 3 run at once, each in its own clone. 1 and 2 (one experiment each,
    so the same steps to push) wait at the push gate until both are there, and are released
    together. Then a fresh clone runs the report step. Returns (the fresh clone, the report)."""
    base, _ = team
    gate = PushGate(tmp_path_factory.mktemp("gate") / "fifo")
    gated = {GATE: str(gate.path)}
    started = [
        Worker(clone(base, f"worker{index}"), PARAM, ",".join(VALUES), index, 3, **env)
        for index, env in enumerate([{}, gated, gated])
    ]
    try:
        for worker in started[1:]:
            worker.wait_for(AT_GATE)
        gate.release()
        for worker in started:
            assert worker.finish() == 0, worker.output()
    finally:
        gate.release()
        for worker in started:
            worker.kill()

    fresh = clone(base, "fresh")
    summary = base / "summary.md"
    fresh.env.update(PARAM=PARAM, GITHUB_STEP_SUMMARY=str(summary))
    fresh.run("bash", "-eo", "pipefail", "-c", workflow_step("report", "report"))
    return fresh, summary.read_text()


class TestOneSweep:
    """The sweep's results, seen from a fresh clone: these tests share one sweep (`swept`), so
    they run together in one test process (tests/conftest.py)."""

    def test_fresh_clone_sees_every_experiment(self, swept: tuple[Project, str]) -> None:
        fresh, _ = swept
        assert set(NAMES) <= set(experiment_revs(fresh))

    def test_report_compares_every_value_with_its_metrics(self, swept: tuple[Project, str]) -> None:
        """The comparison has a row per value with the network's accuracy, and each experiment has
        DVC's params and metrics diff against the baseline."""
        _, report = swept
        rows = [line for line in report.splitlines() if line.startswith("| hidden_units-")]
        assert [row.split("|")[1].strip() for row in rows] == NAMES
        assert all("%" in row for row in rows)
        for name, value in zip(NAMES, VALUES, strict=True):
            section = report.split(f"### {name} against the baseline", 1)[1].split("###", 1)[0]
            assert f"| params.yaml | nn.hidden_units | 40     | {value}" in section, section
            assert "| reports/metrics.json | nn.accuracy" in section, section

    def test_any_experiment_restores_with_nothing_to_rerun(
        self, swept: tuple[Project, str]
    ) -> None:
        fresh, _ = swept
        for name in NAMES:
            restores_with_nothing_to_rerun(fresh, name)

    def test_each_experiments_model_is_in_s3(
        self, swept: tuple[Project, str], team: tuple[Path, S3Remote]
    ) -> None:
        """The network each experiment trained is an object in the bucket (pushed, not rebuilt)."""
        fresh, _ = swept
        _, remote = team
        stored = set(remote.stored())
        revs = experiment_revs(fresh)
        for name in NAMES:
            lock = YAML(typ="safe").load(fresh.git("show", f"{revs[name]}:dvc.lock").stdout)
            md5 = lock["stages"]["train_nn"]["outs"][0]["md5"]
            assert f"files/md5/{md5[:2]}/{md5[2:]}" in stored, name


# --- failures ----------------------------------------------------------------------------------


def test_a_killed_worker_breaks_nothing_and_its_slice_runs_again(
    team: tuple[Path, S3Remote], workers: list[Worker]
) -> None:
    """Worker 0 of 2 (0.3 and 0.7) is killed while it trains its second value; worker 1 (0.5)
    pushes. A fresh clone pulls every experiment without a missing file and restores worker 1's;
    meanwhile worker 0's command runs again in another clone (held at the push gate until the
    fresh clone is done) and completes the sweep, and worker 1's command in a third runs nothing
    (its experiment is on the git remote)."""
    base, _ = team
    values = "0.3,0.5,0.7"
    names = {value: f"learning_rate-{value}" for value in values.split(",")}
    workers += [Worker(clone(base, f"doomed{i}"), "nn.learning_rate", values, i, 2) for i in (0, 1)]
    doomed, survivor = workers
    doomed.wait_for("epoch ", after=f"-n {names['0.7']}")  # train_nn's progress
    doomed.kill()
    assert survivor.finish() == 0, survivor.output()

    gate = PushGate(base / "gate-replacement")
    try:
        replacement = Worker(
            clone(base, "replacement"), "nn.learning_rate", values, 0, 2, **{GATE: str(gate.path)}
        )
        rerun = Worker(clone(base, "rerun"), "nn.learning_rate", values, 1, 2)
        workers += [replacement, rerun]

        fresh = clone(base, "after_kill")
        pulled = fresh.dvc("exp", "pull", "origin")
        assert "Missing cache files" not in pulled.stdout + pulled.stderr
        seen = set(experiment_revs(fresh)) & set(names.values())
        assert seen == {names["0.5"]}
        restores_with_nothing_to_rerun(fresh, names["0.5"])
        replacement.wait_for(AT_GATE)
    finally:
        gate.release()
    assert replacement.finish() == 0, replacement.output()
    assert set(names.values()) <= set(remote_experiments(fresh))
    assert rerun.finish() == 0, rerun.output()
    assert f"{names['0.5']} is on 'origin' already: skipped" in rerun.output()
    assert "dvc exp run" not in rerun.output()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


DVC_BREAKS = [
    ("endpointurl", "http://127.0.0.1:{port}", "Could not connect to the endpoint URL"),
    ("url", "s3://no-such-bucket/scratchnet", "The specified bucket does not exist"),
]
"""How the DVC remote breaks (a `--local` option, its broken value, DVC's error): an unreachable
endpoint, then a wrong bucket."""


def test_a_failed_push_keeps_the_results_and_the_same_command_retries(
    team: tuple[Path, S3Remote], workers: list[Worker]
) -> None:
    """One clone, one value; while the worker waits at the push gate a remote breaks, in turn: the
    DVC remote (unreachable endpoint, then wrong bucket), then the git remote (gone). Each time:
    the tool's error, our hint, a non-zero status, no experiment ref on the git remote (data goes
    first) and the experiment kept in the clone, so the next run finds it; fixed, the same
    command pushes it without running it again."""
    base, _ = team
    name = "seed-1"
    checkout = clone(base, "broken")
    origin = checkout.git("remote", "get-url", "origin").stdout.strip()

    def gated(breaks: str) -> tuple[PushGate, Worker]:
        """The worker's command, waiting at the push gate."""
        gate = PushGate(base / f"gate-{breaks}")
        env = {GATE: str(gate.path), "AWS_MAX_ATTEMPTS": "1"}  # one try at a dead endpoint, not 5
        workers.append(Worker(checkout, "nn.seed", "1", 0, 1, **env))
        try:
            workers[-1].wait_for(AT_GATE)
        except BaseException:
            gate.release()
            raise
        return gate, workers[-1]

    for option, broken, dvc_error in DVC_BREAKS:
        gate, worker = gated(option)
        checkout.dvc(
            "remote", "modify", "--local", "storage", option, broken.format(port=closed_port())
        )
        gate.release()
        assert worker.finish() != 0
        output = worker.output()
        assert dvc_error in output
        assert output.splitlines()[-1].startswith(
            f"sweep_worker: error: pushing {name}'s data failed: check the DVC remote's URL"
        ), output
        assert name not in remote_experiments(checkout)
        assert name in checkout.dvc("exp", "list", "--name-only").stdout
        assert (checkout.root / "models" / "nn.npz").is_file()
        checkout.dvc("remote", "modify", "--local", "--unset", "storage", option)

    gate, worker = gated("git")
    checkout.git("remote", "set-url", "origin", str(base / "gone.git"))
    gate.release()
    assert worker.finish() != 0
    output = worker.output()
    assert output.splitlines()[-1].startswith(
        "sweep_worker: error: pushing to the git remote 'origin' failed: check its URL"
    ), output
    assert name in checkout.dvc("exp", "list", "--name-only").stdout
    checkout.git("remote", "set-url", "origin", origin)
    assert name not in remote_experiments(checkout)

    workers.append(Worker(checkout, "nn.seed", "1", 0, 1))
    assert workers[-1].finish() == 0, workers[-1].output()
    assert f"{name} is in this clone already: kept, not rerun" in workers[-1].output()
    assert "Running stage" not in workers[-1].output()
    restores_with_nothing_to_rerun(clone(base, "fixed"), name)


def test_a_name_pushed_meanwhile_is_reported_not_replaced(
    team: tuple[Path, S3Remote], workers: list[Worker]
) -> None:
    """Two workers given the same value by mistake: the late one, held at the push gate while the
    other pushes, stops with our hint (DVC alone would warn and exit 0); the git remote keeps the
    first run's experiment. The first starts once the late one has looked for the name on the
    git remote (and not found it), so both train at the same time."""
    base, _ = team
    gate = PushGate(base / "gate-twice")
    try:
        late = Worker(clone(base, "late"), "nn.seed", "3", 0, 1, **{GATE: str(gate.path)})
        workers.append(late)
        late.wait_for("dvc exp run")
        first = clone(base, "first")
        workers.append(Worker(first, "nn.seed", "3", 0, 1))
        assert workers[-1].finish() == 0, workers[-1].output()
        late.wait_for(AT_GATE)
    finally:
        gate.release()
    assert late.finish() != 0
    assert late.output().splitlines()[-1] == (
        "sweep_worker: error: seed-3 on 'origin' is another run's (of the same value on this "
        "commit, pushed meanwhile): keep it, or replace it with "
        "`dvc exp push --force origin seed-3`"
    ), late.output()
    assert experiment_revs(first)["seed-3"] in first.git("ls-remote", "origin").stdout
