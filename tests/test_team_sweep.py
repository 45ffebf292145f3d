"""One sweep split across workers that share only a bare git origin and an S3 DVC remote (a moto
server on 127.0.0.1): each worker is a clone in its own process running the worker step of
.github/workflows/sweep.yml as it is, one of them killed mid-run and its command run again, and a
fresh clone runs the workflow's report step. Then the failures of a push: a worker whose DVC
remote, then git remote, breaks before it pushes (one clone, each break in turn, then fixed), and
meanwhile a second worker given the same value. Workers whose order does not matter run at the
same time."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


# --- three workers, one of them killed, two pushing at the same moment ------------------------

PARAM = "nn.hidden_units"
VALUES = ["1", "2", "3", "4"]
NAMES = [f"hidden_units-{value}" for value in VALUES]


@dataclass
class Sweep:
    fresh: Project
    """The clone that ran the report step, once the sweep was complete."""
    report: str
    """What the report step wrote to GITHUB_STEP_SUMMARY."""
    pulled_after_kill: str
    """`dvc exp pull origin`'s output in a fresh clone once the killed worker's peers pushed."""
    seen_after_kill: set[str]
    """The sweep's experiments that clone then saw."""
    rerun: str
    """The output of worker 1's command, run again once its experiment was on the git remote."""


@pytest.fixture(scope="module")
def swept(team: tuple[Path, S3Remote], tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    """Workers 0, 1 and 2 of 3 start at once, each in its own clone. Worker 0 (1 and 4) is killed
    while it trains its second value. 1 and 2 (one experiment each, so the same steps to push)
    wait at the push gate until both are there, and are released together. Worker 0's command
    runs again in another clone as soon as it is killed, held at the push gate while a fresh
    clone pulls what 1 and 2 pushed, then completes the sweep; worker 1's command runs again in a
    third clone. Then a fresh clone runs the report step."""
    base, _ = team
    gate = PushGate(tmp_path_factory.mktemp("gate") / "fifo")
    gated = {GATE: str(gate.path)}
    started = [
        Worker(clone(base, f"worker{index}"), PARAM, ",".join(VALUES), index, 3, **env)
        for index, env in enumerate([{}, gated, gated])
    ]
    doomed, *pushing = started
    again = PushGate(tmp_path_factory.mktemp("gate_again") / "fifo")
    try:
        for worker in pushing:
            worker.wait_for(AT_GATE)
        gate.release()
        doomed.wait_for("epoch ", after=f"-n {NAMES[3]}")  # train_nn's progress
        doomed.kill()
        # worker 0's command again, at once, held at the push gate until the fresh clone looked
        replacement = Worker(
            clone(base, "again0"), PARAM, ",".join(VALUES), 0, 3, **{GATE: str(again.path)}
        )
        started.append(replacement)
        for worker in pushing:
            assert worker.finish() == 0, worker.output()

        after_kill = clone(base, "after_kill")
        pulled = after_kill.dvc("exp", "pull", "origin")
        seen = set(experiment_revs(after_kill)) & set(NAMES)
        started.append(Worker(clone(base, "again1"), PARAM, ",".join(VALUES), 1, 3))
        replacement.wait_for(AT_GATE)
        again.release()
        for worker in started[-2:]:
            assert worker.finish() == 0, worker.output()
    finally:
        gate.release()
        again.release()
        for worker in started:
            worker.kill()

    fresh = clone(base, "fresh")
    summary = base / "summary.md"
    fresh.env.update(PARAM=PARAM, GITHUB_STEP_SUMMARY=str(summary))
    fresh.run("bash", "-eo", "pipefail", "-c", workflow_step("report", "report"))
    return Sweep(
        fresh, summary.read_text(), pulled.stdout + pulled.stderr, seen, started[-1].output()
    )


class TestOneSweep:
    """The sweep's results, seen from fresh clones: these tests share one sweep (`swept`), so
    they run together in one test process (tests/conftest.py)."""

    def test_fresh_clone_sees_every_experiment(self, swept: Sweep) -> None:
        assert set(NAMES) <= set(experiment_revs(swept.fresh))

    def test_report_compares_every_value_with_its_metrics(self, swept: Sweep) -> None:
        """The comparison has a row per value with the network's accuracy, and each experiment has
        DVC's params and metrics diff against the baseline."""
        report = swept.report
        rows = [line for line in report.splitlines() if line.startswith("| hidden_units-")]
        assert [row.split("|")[1].strip() for row in rows] == NAMES
        assert all("%" in row for row in rows)
        for name, value in zip(NAMES, VALUES, strict=True):
            section = report.split(f"### {name} against the baseline", 1)[1].split("###", 1)[0]
            assert f"| params.yaml | nn.hidden_units | 40     | {value}" in section, section
            assert "| reports/metrics.json | nn.accuracy" in section, section

    def test_any_experiment_restores_with_nothing_to_rerun(
        self, swept: Sweep, team: tuple[Path, S3Remote]
    ) -> None:
        """Each in a clone of its own, two at a time."""
        base, _ = team
        checkouts = [clone(base, f"restore-{name}") for name in NAMES]
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(restores_with_nothing_to_rerun, checkouts, NAMES))

    def test_each_experiments_model_is_in_s3(
        self, swept: Sweep, team: tuple[Path, S3Remote]
    ) -> None:
        """The network each experiment trained is an object in the bucket (pushed, not rebuilt)."""
        fresh = swept.fresh
        _, remote = team
        stored = set(remote.stored())
        revs = experiment_revs(fresh)
        for name in NAMES:
            lock = YAML(typ="safe").load(fresh.git("show", f"{revs[name]}:dvc.lock").stdout)
            md5 = lock["stages"]["train_nn"]["outs"][0]["md5"]
            assert f"files/md5/{md5[:2]}/{md5[2:]}" in stored, name

    def test_a_killed_worker_breaks_nothing_and_its_slice_runs_again(self, swept: Sweep) -> None:
        """Worker 0 was killed while it trained its second value, after its first: once workers 1
        and 2 pushed, a fresh clone pulled every experiment without a missing file and saw theirs
        only (their restoring: above); worker 0's command, run again in another clone, completed
        the sweep (`swept`, and the fresh clone sees every experiment), and worker 1's command,
        run again, ran nothing (its experiment is on the git remote)."""
        assert "Missing cache files" not in swept.pulled_after_kill
        assert swept.seen_after_kill == {NAMES[1], NAMES[2]}
        assert f"{NAMES[1]} is on 'origin' already: skipped" in swept.rerun
        assert "dvc exp run" not in swept.rerun


# --- failures ----------------------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_push_keeps_the_results_and_the_same_command_retries(
    team: tuple[Path, S3Remote], workers: list[Worker]
) -> None:
    """One clone, one value; while the worker waits at the push gate a remote breaks, in turn: the
    DVC remote (an unreachable endpoint), then the git remote (gone). Each time: the tool's error,
    our hint, a non-zero status, no experiment ref on the git remote (data goes first) and the
    experiment kept in the clone, so the next run finds it; fixed, the same command pushes it
    without running it again.

    Meanwhile a second worker was given the same value by mistake: it started once the first had
    run, found no such experiment on the git remote, trained, and waited at its own push gate;
    let go once the first pushed, it stops with our hint (DVC alone would warn and exit 0), and
    the git remote keeps the first run's experiment."""
    base, _ = team
    name = "seed-1"
    late_gate = PushGate(base / "gate-late")
    try:
        checkout = clone(base, "broken")
        origin = checkout.git("remote", "get-url", "origin").stdout.strip()

        def gated(breaks: str) -> tuple[PushGate, Worker]:
            """The worker's command in `checkout`, waiting at the push gate."""
            gate = PushGate(base / f"gate-{breaks}")
            env = {GATE: str(gate.path), "AWS_MAX_ATTEMPTS": "1"}  # one try at a dead endpoint
            workers.append(Worker(checkout, "nn.seed", "1", 0, 1, **env))
            try:
                workers[-1].wait_for(AT_GATE)
            except BaseException:
                gate.release()
                raise
            return gate, workers[-1]

        gate, worker = gated("dvc")
        # the same value in another clone, once this clone's experiment is committed: the two
        # commits differ (had both been made in the same second, they could be the same)
        late = Worker(clone(base, "late"), "nn.seed", "1", 0, 1, **{GATE: str(late_gate.path)})
        workers.append(late)
        broken = f"http://127.0.0.1:{closed_port()}"
        checkout.dvc("remote", "modify", "--local", "storage", "endpointurl", broken)
        gate.release()
        assert worker.finish() != 0
        output = worker.output()
        assert "Could not connect to the endpoint URL" in output
        assert output.splitlines()[-1].startswith(
            f"sweep_worker: error: pushing {name}'s data failed: check the DVC remote's URL"
        ), output
        assert name not in remote_experiments(checkout)
        assert name in checkout.dvc("exp", "list", "--name-only").stdout
        assert (checkout.root / "models" / "nn.npz").is_file()
        checkout.dvc("remote", "modify", "--local", "--unset", "storage", "endpointurl")

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

        late.wait_for("dvc exp run")  # it looked for the name on the git remote before the push
        workers.append(Worker(checkout, "nn.seed", "1", 0, 1))
        assert workers[-1].finish() == 0, workers[-1].output()
        assert f"{name} is in this clone already: kept, not rerun" in workers[-1].output()
        assert "Running stage" not in workers[-1].output()

        late.wait_for(AT_GATE)
    finally:
        late_gate.release()
    assert late.finish() != 0
    assert f"dvc exp run --pull -n {name}" in late.output()  # it did not find it on the remote
    assert late.output().splitlines()[-1] == (
        f"sweep_worker: error: {name} on 'origin' is another run's (of the same value on this "
        f"commit, pushed meanwhile): keep it, or replace it with "
        f"`dvc exp push --force origin {name}`"
    ), late.output()
    assert experiment_revs(checkout)[name] in checkout.git("ls-remote", "origin").stdout
    restores_with_nothing_to_rerun(clone(base, "fixed"), name)
