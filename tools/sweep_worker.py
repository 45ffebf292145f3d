"""One worker of a sweep split across machines that share only a git remote and a DVC remote.

    git clone <git-url> sweep && cd sweep && pip install -e . 'dvc[s3]'
    python tools/sweep_worker.py nn.hidden_units 1,2,3,4,5,20,50 --worker 0 --workers 3

Worker i of n takes the values i, i+n, i+2n, … of the list (round robin, so a list in order of
cost spreads the cost evenly) and runs each as the experiment `<last key>-<value>`
(`hidden_units-5`): names come from values, so two workers never make the same one. It runs
exactly the checked-out commit plus its slice: it refuses, before anything runs, a Python
without DVC, a workspace that differs from the commit (`git status --porcelain`: the name would
hide the difference) and a commit whose .dvc/config has no default remote (its experiments
would carry none, so teammates could not pull their data). Then, in its clone:

1. `dvc pull --run-cache`: the commit's outputs and the record of every run pushed so far;
2. `dvc exp run --pull -n NAME -S PARAM=VALUE` for each value of its slice, except those whose
   experiment the git remote already has (pushed by an earlier run of this command) or this
   clone already has (kept from a failed push): running the same command again, here or on
   another machine, finishes the slice without running anything twice;
3. data before refs: `dvc exp apply` + `dvc push` of each experiment, `dvc push --run-cache`, and
   last `dvc exp push --no-cache` to the git remote, checked with `git ls-remote`.
   (`dvc exp push` alone sends the refs first: with a broken DVC remote, teammates would get
   experiments whose data never arrived; and it reports a name taken on the remote as a
   warning, with exit status 0.)
4. `git checkout HEAD -- .` and `dvc checkout`: the workspace is the commit again, also after a
   failure, so the same command can run again in the same clone.

A failure ends with DVC's own error and one line saying what to check, with a non-zero exit
status; the experiments that ran stay in the clone (`dvc exp list`). Then anyone runs
`dvc exp pull origin` and `python tools/compare.py --sweep PARAM` (docs/team.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

GATE = "SWEEP_WORKER_PUSH_GATE"
"""Environment variable: a file the worker reads to its end before its first push (see gate)."""
DVC_REMOTE_HINT = (
    "check the DVC remote's URL, endpoint and credentials (`dvc remote list`, "
    "`dvc config --list`, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
)
KEPT = "; the experiments stay in this clone (`dvc exp list`): fix that, run this command again"


class WorkerError(Exception):
    """A step failed; the message is the one line of hint printed after DVC's or git's error."""


def say(message: str) -> None:
    print(f"sweep_worker: {message}", file=sys.stderr, flush=True)


def experiment_name(param: str, value: str) -> str:
    """`nn.hidden_units`, `5` -> `hidden_units-5`: the last key and the value, made a valid ref."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{param.rsplit('.', 1)[-1]}-{value}")


def sweep_slice(values: list[str], worker: int, workers: int) -> list[str]:
    """The values worker `worker` (0-based) of `workers` runs: every `workers`-th from its index."""
    return values[worker::workers]


def dvc(*args: str, hint: str) -> None:
    """Run `dvc ARGS` with its output shown; on failure raise WorkerError(`hint`)."""
    say(f"dvc {' '.join(args)}")
    if subprocess.run([sys.executable, "-m", "dvc", *args], check=False).returncode != 0:
        raise WorkerError(hint)


def dvc_output(*args: str, hint: str) -> str:
    """`dvc ARGS`'s output; on failure show DVC's error and raise WorkerError(`hint`)."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(result.stderr, end="", file=sys.stderr)
        raise WorkerError(hint)
    return result.stdout


def git(*args: str, hint: str) -> str:
    """`git ARGS`'s output; on failure show git's error and raise WorkerError(`hint`)."""
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stderr, end="", file=sys.stderr)
        raise WorkerError(hint)
    return result.stdout


def experiment_refs(names: list[str]) -> dict[str, str]:
    """Name -> the ref DVC keeps that experiment of the checked-out commit under."""
    baseline = git("rev-parse", "HEAD", hint="this folder is not a git checkout").strip()
    return {name: f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}" for name in names}


def local_commit(ref: str) -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", ref], capture_output=True, text=True
    )
    return result.stdout.strip() if result.returncode == 0 else None


def remote_commits(git_remote: str, refs: list[str]) -> dict[str, str]:
    """Ref -> commit, for those of `refs` (never empty) that the git remote has."""
    hint = f"reading the git remote {git_remote!r} failed: check its URL and your access"
    listed = git("ls-remote", git_remote, *refs, hint=f"{hint} (`git remote -v`)").split()
    return dict(zip(listed[1::2], listed[::2], strict=True))


def check_dvc_installed() -> None:
    """Refuse a Python that cannot run `python -m dvc`: each step would fail, blaming the remote."""
    if importlib.util.find_spec("dvc") is None:
        raise WorkerError(
            f"DVC is not installed for this Python ({sys.executable}): install it with "
            f"`{sys.executable} -m pip install -e . 'dvc[s3]'` (the project and DVC with the "
            "remote's plugin), or run this script with the Python that has DVC"
        )


def check_clean(param: str) -> None:
    """Refuse a workspace that differs from its commit (a tracked file changed, staged or not,
    or an untracked file git does not ignore): each experiment would run with that difference,
    named only after `param`."""
    changes = git("status", "--porcelain", hint="this folder is not a git checkout").splitlines()
    if not changes:
        return
    listed = ", ".join(
        f"{line[3:]} ({'untracked' if line.startswith('??') else 'changed'})"
        for line in changes[:5]
    )
    more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
    raise WorkerError(
        f"the workspace differs from the commit it would sweep: {listed}{more}; each experiment "
        f"would run with that, named after {param} only. Put it aside (`git stash "
        "--include-untracked`) or discard it (`git checkout -- params.yaml`, or any file "
        "listed), then run again"
    )


def check_remote_committed() -> None:
    """Refuse a commit whose .dvc/config has no default remote with its URL (read after
    check_clean, so the workspace's file is the commit's): an experiment carries its commit's
    .dvc/config, so teammates could not pull its data and `dvc exp apply` would remove theirs."""
    options = dvc_output(
        "config", "--project", "--list", hint="reading .dvc/config failed (above): nothing ran"
    ).splitlines()
    config = dict(option.split("=", 1) for option in options if "=" in option)
    remote = config.get("core.remote")
    if not remote or f"remote.{remote}.url" not in config:
        raise WorkerError(
            "the commit's .dvc/config has no default DVC remote: its experiments would carry "
            "none, so teammates could not pull their data. First `dvc remote add -d NAME URL`, "
            "`git commit .dvc/config`, `git push` and `dvc push --run-cache`, then run again"
        )


def restore_baseline() -> None:
    """Put the committed workspace back (params, dvc.lock, reports and the DVC outputs), which
    each run and `dvc exp apply` replace with an experiment's."""
    say("git checkout HEAD -- .")
    git("checkout", "HEAD", "--", ".", hint="restoring the commit's files failed (above)")
    dvc("checkout", hint="restoring the commit's outputs failed (above): run `dvc checkout`")


def sweep(param: str, values: list[str], git_remote: str) -> list[str]:
    """Steps 2 to 4: run the slice, publish it, restore the workspace (also when a step fails,
    after which the failure is what the worker reports); returns the names pushed."""
    try:
        names = run_slice(param, values, git_remote)
        if names:
            gate()
            publish(names, git_remote)
    except WorkerError:
        try:
            restore_baseline()
        except WorkerError as restoring:
            say(f"also: {restoring}")
        raise
    restore_baseline()
    return names


def gate() -> None:
    """Read the file named by SWEEP_WORKER_PUSH_GATE, if set, to its end before pushing: on a FIFO
    that waits until its writer closes it, so a test can release two workers' pushes at the
    same moment, or break the remote while a worker waits. Says so once the file is open, so a
    writer that closes it after reading that line cannot leave the worker waiting."""
    path = os.environ.get(GATE)
    if path:
        with Path(path).open("rb") as fifo:
            say(f"waiting at the push gate {path}")
            fifo.read()


def run_slice(param: str, values: list[str], git_remote: str) -> list[str]:
    """Step 2: each value not yet on the git remote, as an experiment in this clone; returns
    the names to push."""
    refs = experiment_refs([experiment_name(param, value) for value in values])
    published = remote_commits(git_remote, list(refs.values()))
    names = []
    for value, (name, ref) in zip(values, refs.items(), strict=True):
        if ref in published:
            say(f"{name} is on {git_remote!r} already: skipped")
            continue
        if local_commit(ref):
            say(f"{name} is in this clone already: kept, not rerun")
        else:
            dvc(
                *("exp", "run", "--pull", "-n", name, "-S", f"{param}={value}"),
                hint=f"{param}={value} failed (above): nothing was pushed; the experiments "
                "that ran stay in this clone (`dvc exp list`)",
            )
        names.append(name)
    return names


def publish(names: list[str], git_remote: str) -> None:
    """Step 3: each experiment's data, then the run-cache, then the refs, and check the refs."""
    for name in names:
        dvc("exp", "apply", name, hint=f"`dvc exp apply {name}` failed (above)")
        dvc("push", hint=f"pushing {name}'s data failed: {DVC_REMOTE_HINT}{KEPT}")
    dvc("push", "--run-cache", hint=f"pushing the run-cache failed: {DVC_REMOTE_HINT}{KEPT}")
    dvc(
        *("exp", "push", "--no-cache", git_remote, *names),  # the data is pushed above
        hint=f"pushing to the git remote {git_remote!r} failed: check its URL and your access "
        f"(`git remote -v`){KEPT}",
    )
    refs = experiment_refs(names)
    published = remote_commits(git_remote, list(refs.values()))
    for name, ref in refs.items():
        if published.get(ref) != local_commit(ref):
            raise WorkerError(
                f"{name} on {git_remote!r} is another run's (of the same value on this commit, "
                f"pushed meanwhile): keep it, or replace it with "
                f"`dvc exp push --force {git_remote} {name}`"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sweep_worker", description=__doc__.split("\n")[0])
    parser.add_argument("param", help="the parameter swept, e.g. nn.hidden_units")
    parser.add_argument("values", help="every value of the sweep, comma-separated: 1,2,5,20")
    parser.add_argument("--worker", type=int, required=True, help="this worker's index, from 0")
    parser.add_argument("--workers", type=int, required=True, help="how many workers share it")
    parser.add_argument(
        "--git-remote", default="origin", help="where experiments go (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    values = [value.strip() for value in args.values.split(",")]
    if not all(values):
        parser.error(f"values {args.values!r} has an empty item")
    if args.workers < 1:
        parser.error(f"--workers {args.workers} is not a number of workers (1 or more)")
    if not 0 <= args.worker < args.workers:
        parser.error(f"--worker {args.worker} is not in 0 … {args.workers - 1} (--workers)")
    every_name = [experiment_name(args.param, value) for value in values]
    if len(set(every_name)) != len(every_name):
        parser.error(f"values {args.values!r} give the same experiment name twice")
    mine = sweep_slice(values, args.worker, args.workers)
    if not mine:
        say(f"worker {args.worker} of {args.workers}: no value left, nothing to do")
        return
    try:
        check_dvc_installed()
        check_clean(args.param)
        check_remote_committed()
        say(f"worker {args.worker} of {args.workers}: {args.param} = {', '.join(mine)}")
        dvc(
            *("pull", "--run-cache"),
            hint=f"pulling the commit's outputs failed: {DVC_REMOTE_HINT}, and that they were "
            "pushed (`dvc push --run-cache` where the commit was reproduced); nothing ran",
        )
        names = sweep(args.param, mine, args.git_remote)
    except WorkerError as error:
        raise SystemExit(f"sweep_worker: error: {error}") from None
    say(f"pushed {', '.join(names) or 'nothing new'} to {args.git_remote!r} and the DVC remote")


if __name__ == "__main__":
    main()
