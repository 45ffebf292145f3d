"""tools/compare.py as users run it: with no arguments the ranking, else a table and a figure;
any bad input or option is one line `compare: error: ...`, a non-zero exit and no output
written; printing works in any locale. (What it computes: test_experiments, test_exptables,
test_expfigures.)"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.exp_documents import exp_show_document, many_experiments, with_intervals
from tools import compare as tool

TOOL = Path(__file__).resolve().parents[1] / "tools" / "compare.py"


def compare(tmp_path: Path, *args: str, document: object = None, **env: str):
    """Run the tool in `tmp_path` (its default outputs land there) on a saved document: in this
    process, as `tools/compare.py` would (its exit status, stdout and stderr as bytes), unless
    `env` gives it a locale, which only a new process takes."""
    saved = tmp_path / "exp_show.json"
    if document is not None:
        saved.write_text(json.dumps(document), encoding="utf-8")
    argv = ["--exp-show", str(saved), *args]
    if env:
        return subprocess.run(
            [sys.executable, str(TOOL), *argv],
            cwd=tmp_path,
            capture_output=True,
            env={**os.environ, **env},
            timeout=120,
            check=False,
        )
    out, err = (io.TextIOWrapper(io.BytesIO(), "utf-8", write_through=True) for _ in "12")
    status, cwd = 0, Path.cwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            tool.main(argv)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.chdir(cwd)
    stdout, stderr = (stream.detach().getvalue() for stream in (out, err))  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(argv, status, stdout, stderr)


def intervals_document() -> list[dict]:
    document = exp_show_document()
    with_intervals(document[1])
    for group in document[1]["experiments"]:
        with_intervals(group["revs"][0])
    return document


def outputs(tmp_path: Path) -> list[Path]:
    return sorted(path for path in tmp_path.rglob("*") if path.name != "exp_show.json")


def test_no_arguments_ranks_every_experiment_in_80_columns_and_writes_nothing(tmp_path) -> None:
    """22.2: one command answers "which experiment is best, and what did it change"."""
    result = compare(tmp_path, document=many_experiments(50))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 4 + 51 and max(map(len, lines)) <= 80
    assert outputs(tmp_path) == []


def test_no_arguments_names_the_experiments_without_results(tmp_path) -> None:
    result = compare(tmp_path, document=exp_show_document())
    assert result.stderr.decode() == "compare: broken left out: failed (ReproductionError)\n"


def test_sweep_writes_its_table_and_figure_and_says_what_it_left_out(tmp_path) -> None:
    """22.1: every experiment left out of the sweep is named, with the reason."""
    result = compare(tmp_path, "--sweep", "nn.hidden_units", document=exp_show_document())
    assert result.returncode == 0, result.stderr
    table, figure = (
        tmp_path / "reports/sweep/hidden_units.md",
        tmp_path / "reports/sweep/hidden_units.png",
    )
    assert outputs(tmp_path) == [tmp_path / "reports", tmp_path / "reports/sweep", table, figure]
    assert table.read_bytes() == result.stdout
    assert result.stderr.decode().splitlines() == [
        "compare: broken left out: failed (ReproductionError)",
        "compare: exp-slow left out: does not change nn.hidden_units",
        "compare: exp-both left out: changes nn.learning_rate besides nn.hidden_units",
        "compare: wrote reports/sweep/hidden_units.md and reports/sweep/hidden_units.png (3 runs)",
    ]


def test_seeds_report_names_its_configuration(tmp_path) -> None:
    """22.3: "1 configurations" named nothing; now the configuration is named, in the singular."""
    document = exp_show_document()
    replicate = json.loads(json.dumps(document[1]["experiments"][0]))
    revision = replicate["revs"][0]
    revision["name"] = replicate["name"] = "replicate"
    revision["data"]["params"]["params.yaml"]["data"]["nn"].update(hidden_units=40, seed=1)
    document[1]["experiments"].append(replicate)
    result = compare(tmp_path, "--seeds", document=document)
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode().splitlines()[-1] == (
        "compare: wrote reports/seeds/seeds.md and reports/seeds/seeds.png "
        "(1 configuration (the baseline), 2 runs)"
    )


@pytest.mark.parametrize(
    "environment",
    [
        {"PYTHONIOENCODING": "latin-1"},
        {"LC_ALL": "C", "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"},
    ],
)
def test_printing_survives_any_locale(tmp_path, environment) -> None:
    """21.8: the table's "–" raised UnicodeEncodeError in a non-UTF-8 locale after the files
    were written; now what the terminal cannot show prints as "?" (the files stay UTF-8)."""
    result = compare(
        tmp_path, "--sweep", "nn.hidden_units", document=intervals_document(), **environment
    )
    assert result.returncode == 0, result.stderr
    assert b"(83.1?95.4%)" in result.stdout
    assert "(83.1–95.4%)" in (tmp_path / "reports/sweep/hidden_units.md").read_text(
        encoding="utf-8"
    )


def test_refuses_a_device_instantly(tmp_path) -> None:
    """21.9: `--exp-show /dev/zero` grew to about 24 GB before the OOM killer."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(TOOL), "--exp-show", "/dev/zero"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.stderr.decode() == "compare: error: /dev/zero is not a regular file\n"
    assert result.returncode == 1 and time.monotonic() - started < 30


def fault(tmp_path: Path, case: str) -> tuple[list[str], object]:
    """The arguments and the saved document of a fault case (None: leave the file as is)."""
    sweep = ["--sweep", "nn.hidden_units"]
    if case == "a folder":
        (tmp_path / "exp_show.json").mkdir()
        return sweep, None
    if case == "64 MiB and one byte":
        with (tmp_path / "exp_show.json").open("wb") as handle:
            handle.truncate((64 << 20) + 1)
        return sweep, None
    if case == "not JSON":
        (tmp_path / "exp_show.json").write_text("[{", encoding="utf-8")
        return sweep, None
    documents = {"a string": "x", "a list of numbers": [1, 2]}
    if case in documents:
        return sweep, documents[case]
    options = {
        "dpi 0": ["--dpi", "0"],
        "dpi 100000": ["--dpi", "100000"],
        "dpi abc": ["--dpi", "abc"],
        "two modes": ["--seeds", "--sweep", "nn.hidden_units"],
        "a figure where its folder must be": ["--out", "reports/sweep"],
    }
    if case == "a figure where its folder must be":
        (tmp_path / "reports/sweep/hidden_units.png").mkdir(parents=True)
    return [*sweep, *options[case]], exp_show_document()


FAULTS = {
    "a folder": "exp_show.json is not a regular file",
    "64 MiB and one byte": "exp_show.json is 67,108,865 bytes, more than the 67,108,864",
    "not JSON": "exp_show.json is not valid JSON: Expecting property name",
    "a string": "not a `dvc exp show --json` document: the document must be a list, not 'x'",
    "a list of numbers": "the document[0] must be an object, not 1",
    "dpi 0": "argument --dpi: 0 is out of range: allowed 10 to 1000",
    "dpi 100000": "argument --dpi: 100000 is out of range: allowed 10 to 1000",
    "dpi abc": "argument --dpi: 'abc' is not a whole number",
    "two modes": "give experiment names, --sweep PARAM or --seeds (one of them, or none)",
    "a figure where its folder must be": "cannot write reports/sweep/hidden_units.png: Is a dir",
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_a_bad_input_or_option_is_one_line_and_writes_nothing(tmp_path, case) -> None:
    """21.9: "x" or [1, 2] gave an AttributeError, --dpi 0 a ValueError after writing the .md,
    --dpi 100000 a MemoryError; now each is one line, a non-zero exit and no output (for a
    folder in the figure's way, not the table either)."""
    args, document = fault(tmp_path, case)
    before = outputs(tmp_path)
    result = compare(tmp_path, *args, document=document)
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("compare: error: ") and FAULTS[case] in line, line
    assert result.returncode != 0 and result.stdout == b""
    assert outputs(tmp_path) == before
