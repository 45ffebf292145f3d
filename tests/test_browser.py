"""DVC's interactive plots in a real browser: headless Chromium opens the page `dvc plots show`
writes, once with Vega installed locally from the npm registry (every plot must draw), once as a
user without internet gets it (the page must say why it is empty)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.pipeline import Project

pytestmark = pytest.mark.pipeline

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VEGA = {"vega": "vega@5", "vega-lite": "vega-lite@5", "vega-embed": "vega-embed@6"}
PLOTS = {
    "reports_nn_cost_csv": "mark-line",
    "reports_predictions_nn_csv": "mark-text",
    "reports_predictions_logreg_csv": "mark-text",
    "reports_roc_csv": "mark-line",
}
"""Each interactive plot's div, and the kind of Vega mark it must contain once drawn."""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dvc plots show` of a full 60,000-epoch run (the size the page must stay under)."""
    project = Project.copy_of_sources(tmp_path_factory.mktemp("browser"), nn={"epochs": 60_000})
    project.dvc("repro")
    output = tmp_path_factory.mktemp("plots")
    project.dvc("plots", "show", "-o", str(output))
    return output / "index.html"


@pytest.fixture(scope="module")
def vega(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Vega, Vega-Lite and vega-embed from the npm registry, in a throwaway folder."""
    folder = tmp_path_factory.mktemp("vega")
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", *VEGA.values()],
        cwd=folder,
        check=True,
        capture_output=True,
    )
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
    local = page.read_text()
    for name in VEGA:
        built = vega / name / "build" / f"{name}.min.js"
        shutil.copy(built, page.parent / built.name)
        local, count = re.subn(rf"https://cdn\.jsdelivr\.net/npm/{name}@[0-9.]+", built.name, local)
        assert count == 1, name
    offline_copy = page.with_name("local.html")
    offline_copy.write_text(local)
    dom = rendered_dom(offline_copy)
    positions = sorted((dom.index(f'id="{div}"'), div) for div in PLOTS)
    for (start, div), (end, _) in zip(positions, [*positions[1:], (len(dom), "")], strict=True):
        drawn = dom[start:end]
        assert "<svg" in drawn, div
        assert len(re.findall(rf'class="[^"]*{PLOTS[div]}', drawn)) >= 1, div
        assert len(re.findall(r"<path", drawn)) >= 5, div
    assert re.search(r'<p id="offline" hidden', dom)


def test_without_vega_the_page_says_why_it_is_empty(page: Path) -> None:
    """No internet here: the CDN scripts fail, and the page shows its explanation."""
    dom = rendered_dom(page)
    assert re.search(r'<p id="offline">', dom)
    assert "need Vega" in dom and "<svg" not in dom
