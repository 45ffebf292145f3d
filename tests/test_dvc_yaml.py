"""dvc.yaml tells the truth about each stage: its command, imported code and params read."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest
import yaml

from scratchnet import params
from tests.pipeline import ROOT

DVC_YAML = yaml.safe_load((ROOT / "dvc.yaml").read_text())
STAGES = DVC_YAML["stages"]
PROBE = """
import importlib.util, pathlib, sys
script = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(script.parent))  # as `python stages/<name>.py` does
spec = importlib.util.spec_from_file_location("stage_under_test", script)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
for name, module in sorted(sys.modules.items()):
    path = pathlib.Path(getattr(module, "__file__", None) or ".").resolve()
    if name.split(".")[0] == "scratchnet" or path.parent == script.parent.resolve():
        print(name)
"""


def imported_modules(script: str) -> set[str]:
    """scratchnet modules loaded by importing `script` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / script)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(result.stdout.split())


def module_of(path: str) -> str:
    """`src/scratchnet/io.py` → `scratchnet.io`; `stages/_stage.py` → `_stage`."""
    path = path.removeprefix("src/").removeprefix("stages/").removesuffix(".py")
    return path.replace("/", ".").removesuffix(".__init__")


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_runs_its_own_script(name: str) -> None:
    """Each stage runs `python stages/<name>.py` and depends on that script."""
    stage = STAGES[name]
    assert stage["cmd"] == f"python stages/{name}.py"
    assert f"stages/{name}.py" in stage["deps"]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_declares_exactly_the_code_it_imports(name: str) -> None:
    """Declared code deps are the modules the script imports, directly or not (its own too)."""
    declared = {module_of(dep) for dep in STAGES[name]["deps"] if dep.endswith(".py")}
    imported = imported_modules(f"stages/{name}.py") - {"stage_under_test"} | {name}
    assert declared == imported


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_declares_exactly_the_params_it_reads(name: str) -> None:
    """Declared params keys are the fields of every params section the script validates."""
    source = (ROOT / "stages" / f"{name}.py").read_text()
    sections = {getattr(params, cls) for cls in re.findall(r"params\.(\w+Params)\b", source)}
    expected = {
        f"{params.SECTION_NAMES[cls]}.{field.name}"
        for cls in sections
        for field in dataclasses.fields(cls)
    }
    assert set(STAGES[name]["params"]) == expected


def test_outputs_persist_and_metrics_and_plot_data_live_in_git() -> None:
    """Every out persists (a failed stage keeps the old one); those under reports/ are in git."""
    for stage in STAGES.values():
        for out in stage["outs"]:
            [(path, options)] = out.items()
            assert options.get("persist") is True, path
            assert path.startswith("reports/") == (options.get("cache") is False), path
    assert set(DVC_YAML["metrics"]) == {"reports/metrics/nn.json", "reports/metrics/logreg.json"}


def test_every_source_a_stage_reads_is_tracked_by_git() -> None:
    """Deps that no stage produces must be in git: DVC's queue copies only tracked files."""
    produced = {next(iter(out)) for stage in STAGES.values() for out in stage["outs"]}
    tracked = set(
        subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    sources = {dep for stage in STAGES.values() for dep in stage["deps"]} - produced
    assert sources - tracked == set()
