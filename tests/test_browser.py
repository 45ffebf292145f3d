"""DVC's interactive plots in a real browser: headless Chromium opens the page `dvc plots show`
writes, once with Vega installed locally from the npm registry (every plot must draw), once as a
user without internet gets it (the page must say why it is empty)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.pipeline import ROOT, Project, require

pytestmark = pytest.mark.pipeline

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VEGA = {"vega": "vega@5", "vega-lite": "vega-lite@5", "vega-embed": "vega-embed@6"}
MARKS = {"confusion_counts": "mark-text"}
"""The Vega mark a plot's template must draw (by template; the others draw lines)."""


def interactive_plots() -> dict[str, str]:
    """Our plot definitions in dvc.yaml that DVC draws with Vega: title -> the mark class it
    must contain once drawn."""
    stages = YAML(typ="safe").load(ROOT / "dvc.yaml")["stages"]
    return {
        options["title"]: MARKS.get(options.get("template"), "mark-line")
        for stage in stages.values()
        for plot in stage.get("plots", [])
        for path, options in plot.items()
        if not path.endswith(".png")
    }


@pytest.fixture(scope="module", autouse=True)
def browser_tools() -> None:
    """Skip (or, under CI, fail) before any work when Chromium or npm is missing."""
    require(Path(CHROMIUM).exists(), "Chromium (`apt-get install chromium`)")
    require(shutil.which("npm"), "npm (`apt-get install npm`)")


@pytest.fixture(scope="module", autouse=True)
def npm_install(
    browser_tools: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Vega, Vega-Lite and vega-embed from the npm registry, in a throwaway folder: started
    before the repro, so the download runs while the network trains (`vega` waits for it)."""
    folder = tmp_path_factory.mktemp("vega")
    with subprocess.Popen(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", *VEGA.values()],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as install:
        yield install, folder
        if install.returncode is None:  # no test waited for it: let npm finish, then reap it
            install.communicate()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dvc plots show` of a full 60,000-epoch run (the size the page must stay under). The
    page's size depends on the number of epochs (the sampled learning curve) and the test rows,
    not on the hidden layer's width: 2 units train the 60,000 epochs several times faster."""
    project = Project.copy_of_sources(
        tmp_path_factory.mktemp("browser"), nn={"epochs": 60_000, "hidden_units": 2}
    )
    project.dvc("repro")
    output = tmp_path_factory.mktemp("plots")
    project.dvc("plots", "show", "-o", str(output))
    return output / "index.html"


@pytest.fixture(scope="module")
def vega(npm_install: tuple[subprocess.Popen[bytes], Path]) -> Path:
    """The node_modules `npm_install` filled, once npm has finished (and succeeded)."""
    install, folder = npm_install
    _, stderr = install.communicate()
    assert install.returncode == 0, f"npm install exited {install.returncode}:\n{stderr.decode()}"
    return folder / "node_modules"


def rendered_dom(html: Path) -> str:
    """The page's DOM after its scripts ran, as headless Chromium sees it."""
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={html.parent / 'chromium-profile'}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_page_is_small(page: Path) -> None:
    """Under 1 MB: the learning curve is sampled for DVC; the figure keeps every epoch."""
    assert page.stat().st_size < 1_000_000


def test_every_plot_draws_with_local_vega(page: Path, vega: Path) -> None:
    """Each plot dvc.yaml defines is one SVG, found by its title, with its marks drawn."""
    local = page.read_text()
    for name in VEGA:
        built = vega / name / "build" / f"{name}.min.js"
        shutil.copy(built, page.parent / built.name)
        local, count = re.subn(rf'(?<=src=")https?://[^"]*/{name}@[^"]*', built.name, local)
        assert count == 1, name
    offline_copy = page.with_name("local.html")
    offline_copy.write_text(local)
    dom = rendered_dom(offline_copy)
    drawings = re.findall(r'<svg[^>]*class="marks".*?</svg>', dom, flags=re.DOTALL)  # not icons
    plots = interactive_plots()
    assert len(drawings) == len(plots)
    for title, mark in plots.items():
        [drawn] = [svg for svg in drawings if f">{html.escape(title)}<" in svg]
        assert re.search(rf'class="[^"]*{mark}', drawn), title
        assert len(re.findall(r"<path", drawn)) >= 5, title
    assert re.search(r'<p id="offline" hidden', dom)


def test_without_vega_the_page_says_why_it_is_empty(page: Path) -> None:
    """No internet here: the CDN scripts fail, and the page shows its explanation."""
    dom = rendered_dom(page)
    assert re.search(r'<p id="offline">', dom)
    assert "need Vega" in dom and "<svg" not in dom
