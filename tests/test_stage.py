"""Tests of stages/_stage.py, how every stage ends: `--help` lists the params a stage reads,
params edited while it runs stop it before its outputs are in place, and a signal once they are
in place says so (each a small stage script run as a subprocess)."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from scratchnet import paramsfile
from tests.pipeline import ROOT

STAGES = YAML(typ="safe").load((ROOT / "dvc.yaml").read_text())["stages"]
SCRIPT = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {stages!r})
import _stage


def main(args):
    from scratchnet import files
    files.write_bytes(args.out, b"made")
    files.write_bytes(args.other, b"made too")
{body}
    return str(args.out)


_stage.run(
    main, "a stage", reads=["nn", "plot.dpi"], out=_stage.Output("out"), other=_stage.Output("o")
)
"""
PARAMS = "nn:\n  hidden_units: 40\n  seed: 1\nplot:\n  dpi: 100\n  grid_points: 30\nsplit: {}\n"


def run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """A stage whose main writes two outputs, then runs `body` (indented Python)."""
    script = tmp_path / "stage.py"
    script.write_text(SCRIPT.format(stages=str(ROOT / "stages"), body=body))
    (tmp_path / "params.yaml").write_text(PARAMS)
    command = [sys.executable, str(script), "--params", "params.yaml"]
    command += ["--out", "out/a.bin", "--other", "out/b.bin"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)


def listed_params(stage: str) -> set[str]:
    """The `section.key` lines of `python stages/<stage>.py --help`."""
    result = subprocess.run(
        [sys.executable, f"stages/{stage}.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    help_text = result.stdout.split("params it reads", 1)[1]
    return {line.split()[0] for line in help_text.splitlines()[1:] if line.startswith("  ")}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_help_lists_the_params_dvc_records_for_the_stage(stage: str) -> None:
    """`--help` names every key of the params dvc.yaml declares for the stage, and no other, so
    the params it checks before committing are those DVC records."""
    by_name = {name: cls for cls, name in paramsfile.SECTION_NAMES.items()}
    expected = set()
    for entry in STAGES[stage]["params"]:
        section, _, key = entry.partition(".")
        names = [key] if key else [field.name for field in dataclasses.fields(by_name[section])]
        expected |= {f"{section}.{name}" for name in names}
    assert listed_params(stage) == expected


EDITS = [
    (
        "nn.hidden_units",
        "'hidden_units: 40', 'hidden_units: 5'",
        "(nn.hidden_units: 40 -> 5)",
    ),
    ("a key added", "'seed: 1', 'seed: 1\\n  epochs: 3'", "(nn.epochs: (absent) -> 3)"),
    ("plot.dpi", "'dpi: 100', 'dpi: 99'", "(plot.dpi: 100 -> 99)"),
    ("unreadable now", "'nn:', 'nn: ['", "changed while the stage ran and cannot be read now"),
]


@pytest.mark.parametrize(("what", "edit", "shown"), EDITS, ids=[edit[0] for edit in EDITS])
def test_params_edited_while_the_stage_runs_stop_it_before_anything_is_written(
    tmp_path: Path, what: str, edit: str, shown: str
) -> None:
    """The params file is edited after main read it: one line naming what changed, exit 1, no
    output and no temporary file."""
    body = f"    path = Path(args.params)\n    path.write_text(path.read_text().replace({edit}))"
    result = run_script(tmp_path, body)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("stage: error: params.yaml changed while the stage ran")
    assert shown in result.stderr and "nothing was written" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_params_it_does_not_read_may_change(tmp_path: Path) -> None:
    """Another section, or another key of a section read by key, may change meanwhile."""
    body = (
        "    path = Path(args.params)\n"
        "    path.write_text(path.read_text().replace('grid_points: 30', 'grid_points: 31')"
        ".replace('split: {}', 'split: {seed: 2}'))"
    )
    result = run_script(tmp_path, body)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "stage: wrote out/a.bin\n")
    assert (tmp_path / "out" / "b.bin").read_bytes() == b"made too"


def test_a_signal_once_the_outputs_are_in_place_says_they_are(tmp_path: Path) -> None:
    """SIGTERM while the last line is printed: status 130 and one line saying the outputs were
    written (they are, both)."""
    body = (
        "    class Killing:\n"
        "        def write(self, text):\n"
        "            os.kill(os.getpid(), signal.SIGTERM)\n"
        "        def flush(self):\n"
        "            pass\n"
        "    sys.stdout = Killing()"
    )
    result = run_script(tmp_path, body)
    assert result.returncode == 130, result.stderr
    assert result.stderr == (
        f"stage: terminated (signal {signal.SIGTERM:d}) after all its outputs were written\n"
    )
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["a.bin", "b.bin"]


def test_running_out_of_memory_anywhere_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    """A MemoryError where no bound of ours foresaw it (here after both writes are staged)."""
    result = run_script(tmp_path, "    raise MemoryError")
    assert result.returncode == 1, result.stderr
    assert result.stderr == "stage: error: not enough memory; nothing was written\n"
    assert list((tmp_path / "out").iterdir()) == []
