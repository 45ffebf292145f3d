"""dvc.yaml tells the truth about each stage: its command, its paths and the params it reads."""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess

import pytest
from ruamel.yaml import YAML

from scratchnet import params, paramsfile
from tests.pipeline import ROOT, stage_outputs

DVC_YAML = YAML(typ="safe").load((ROOT / "dvc.yaml").read_text())
STAGES = DVC_YAML["stages"]
CODE = {"stages/_stage.py", "src/scratchnet"}
"""Code every stage runs besides its own script."""
PARAMS = paramsfile.read_params(ROOT / "params.yaml")
TEMPLATE = re.compile(r"\$\{(\w+)\.(\w+)\}")
"""DVC's `${section.key}`: a path a param names (rendered from params.yaml)."""


def rendered(path: str) -> str:
    """`path` with each `${section.key}` replaced by its value in params.yaml, as DVC does."""
    return TEMPLATE.sub(lambda found: PARAMS[found[1]][found[2]], path)


def entries(stage: dict, kind: str) -> set[str]:
    """The paths of a stage's `deps`, `outs`, `metrics` or `plots` list."""
    return {next(iter(item)) if isinstance(item, dict) else item for item in stage.get(kind, [])}


def outputs(stage: dict) -> set[str]:
    return set(stage_outputs(stage))


@pytest.mark.parametrize("name", sorted(STAGES))
def test_cmd_passes_every_declared_path_and_no_other(name: str) -> None:
    """`python stages/<name>.py --opt PATH ...`: the PATHs are exactly the stage's data deps and
    outputs but those a param names, so the script needs no second copy of any path."""
    stage = STAGES[name]
    command = shlex.split(stage["cmd"])
    assert command[:2] == ["python", f"stages/{name}.py"]
    options, paths = command[2::2], command[3::2]
    assert all(option.startswith("--") for option in options), command
    script = f"stages/{name}.py"
    assert {script} | CODE <= entries(stage, "deps")
    named_by_params = {dep for dep in entries(stage, "deps") if TEMPLATE.search(dep)}
    assert set(paths) == entries(stage, "deps") - {script} - CODE - named_by_params | outputs(stage)
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_declares_exactly_the_params_it_reads(name: str) -> None:
    """Declared params (sections or keys) cover exactly the sections the script validates."""
    source = (ROOT / "stages" / f"{name}.py").read_text()
    sections = {getattr(params, cls) for cls in re.findall(r"params\.(\w+Params)\b", source)}
    expected = {
        f"{paramsfile.SECTION_NAMES[cls]}.{field.name}"
        for cls in sections
        for field in dataclasses.fields(cls)
    }
    by_section = {paramsfile.SECTION_NAMES[cls]: cls for cls in paramsfile.SECTION_NAMES}
    declared = set()
    for entry in STAGES[name]["params"]:
        fields = dataclasses.fields(by_section[entry]) if entry in by_section else None
        declared |= {f"{entry}.{field.name}" for field in fields} if fields else {entry}
    assert declared == expected


def test_every_output_can_be_run_cached() -> None:
    """No `persist` and no plain uncached out (either turns DVC's run-cache off); files kept in
    git are metrics or plots with `cache: false`."""
    for name, stage in STAGES.items():
        assert all(isinstance(out, str) for out in stage.get("outs", [])), name
        for kind in ("metrics", "plots"):
            for item in stage.get(kind, []):
                [(path, options)] = item.items()
                assert options.get("cache") is False, path
                assert "persist" not in options, path


def test_every_source_a_stage_reads_is_tracked_by_git() -> None:
    """Deps that no stage produces must be in git: DVC's queue copies only tracked files."""
    produced = set().union(*(outputs(stage) for stage in STAGES.values()))
    tracked = set(
        subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    sources = {rendered(dep) for stage in STAGES.values() for dep in entries(stage, "deps")}
    sources -= produced
    untracked = {
        source
        for source in sources
        if source not in tracked and not any(t.startswith(f"{source}/") for t in tracked)
    }
    assert untracked == set()


def test_generate_depends_on_the_one_file_data_file_names() -> None:
    """`generate` depends on `${data.file}` (a file DVC hashes alone), not on the data/own/
    folder, whose every file DVC would hash: a FIFO there would hang every dvc command, and any
    file added there would rerun generate. Its own data is the file the params name, so the
    dependency is what it reads, and no path is on its command line."""
    deps = entries(STAGES["generate"], "deps")
    assert "${data.file}" in deps
    assert deps - {"${data.file}"} == {"stages/generate.py"} | CODE
    assert (ROOT / rendered("${data.file}")).is_file()
    assert "data.file" not in STAGES["generate"]["cmd"]
