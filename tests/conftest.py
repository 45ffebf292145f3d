"""Fixtures shared by test modules (an S3-compatible server for the team tests), and what a test
that needs something this machine may lack does: skip with the reason, or fail under CI.

A newcomer without root or Chromium gets skips that say what is missing. CI has both and must
run every test: `.ci/run` sets REQUIRE_EVERY_TEST=1, under which a missing prerequisite fails the
test and any skipped test fails the session."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

REQUIRE_EVERY_TEST = "REQUIRE_EVERY_TEST"
"""Environment variable: when set (CI), nothing may be skipped."""
_skipped: list[str] = []


SPREAD = {"tests/test_fault_table.py", "tests/test_team_sweep.py"}
"""Modules whose tests stand alone (but for those of one class, which share its fixtures)."""
SLOWEST_FIRST = (
    "tests/test_team_sweep.py",
    "tests/test_sweep.py",
    "tests/test_pipeline.py",
    "tests/test_team.py",
    "tests/test_faults.py",
    "tests/test_sweep_worker.py",
    "tests/test_browser.py",
    "tests/test_tables.py",
    "tests/test_modelfiles.py",
    "tests/test_compare.py",
    "tests/test_suite.py",
    "tests/test_train_speed.py",
)
"""The modules that take longest, pipeline tests then unit tests: started first, so that the
shorter ones fill the other process meanwhile instead of a long one ending last."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules of SLOWEST_FIRST first, in that order; each module's tests as written."""
    rank = {path: index for index, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Tests run on two processes (`-n auto`, pyproject.toml). A module's tests run on one of
    them, in the order written: many share a module-scoped project and build on what the ones
    before did. The tests of a module in SPREAD are spread over both, each test (or class) a
    unit, each process building the module's fixtures once."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # by test count, which puts the slow modules last

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path, _, rest = nodeid.partition("::")
            if path not in SPREAD:
                return path
            owner, _, _ = rest.partition("::")
            return nodeid if owner == rest else f"{path}::{owner}"

    return Scheduling(config, log)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get(REQUIRE_EVERY_TEST) and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\n{REQUIRE_EVERY_TEST} is set, but {len(_skipped)} test(s) were skipped:")
        for nodeid in _skipped:
            print(f"  {nodeid}")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server on 127.0.0.1 holding the bucket `scratchnet`, started once.

    Credentials are moto's fake ones, set as a user sets theirs (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY), so nothing in a test repository's .dvc/config carries them.
    moto and boto3 are imported here, by the tests that use the server, not by every run
    (they take half a second to import)."""
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.team import BUCKET

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # the server logs every request: thousands of lines
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.delenv("AWS_PROFILE", raising=False)  # a developer's profile would override them
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
        server.stop()
    werkzeug.setLevel(level)
