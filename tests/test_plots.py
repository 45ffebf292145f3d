"""Figures and plot data: the choices that make them readable, checked on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from scratchnet import curves, plots
from scratchnet.datasets import Dataset


def test_first_increase_is_the_first_epoch_above_its_predecessor() -> None:
    assert curves.first_increase(np.array([3.0, 2.0, 1.0])) is None
    assert curves.first_increase(np.array([3.0, 2.0, 2.5, 2.0, 2.6])) == 3


@pytest.mark.parametrize("epochs", [1, 7, 999, 1000, 1001, 60_000, 100_000_000])
def test_sampled_epochs_cover_start_and_end_in_about_a_thousand_points(epochs: int) -> None:
    sampled = curves.sampled_epochs(epochs)
    assert sampled[0] == 1 and sampled[-1] == epochs
    assert np.all(np.diff(sampled) > 0)
    assert sampled.size <= 1101
    assert np.array_equal(sampled[: min(epochs, 100)], np.arange(1, min(epochs, 100) + 1))


def test_grid_over_a_constant_feature_still_has_an_extent() -> None:
    """A feature with one value gets a margin around it instead of identical axis limits."""
    points = np.array([[0.0, 3.0], [1.0, 3.0], [2.0, 3.0]])
    gx, gy = plots.grid_over(points, 10)
    assert gx.min() < 0.0 and gx.max() > 2.0
    assert gy.min() < 3.0 < gy.max()


def test_learning_curve_zooms_on_the_first_rise() -> None:
    cost = np.concatenate([np.linspace(0.7, 0.2, 500), 0.2 + 0.01 * (np.arange(300) % 2)])
    figure = plots.learning_curve_figure(cost, "title")
    whole, zoom = figure.axes
    assert "epoch 502" in zoom.get_title()  # cost[500] = cost[499] = 0.2; cost[501] = 0.21
    assert zoom.get_xlim()[0] < 502 < zoom.get_xlim()[1]
    assert whole.get_xscale() == whole.get_yscale() == "log"


def test_a_panel_shown_in_two_figures_scores_its_grid_once() -> None:
    """The side-by-side figure reuses the single figure's grid instead of scoring it again."""
    grid_calls = []

    def probability(x: np.ndarray) -> np.ndarray:
        if len(x) == 25:  # the 5 × 5 grid; the test points are fewer
            grid_calls.append(len(x))
        return 1 / (1 + np.exp(-x[:, 0]))

    test = Dataset(np.array([[-1.0, 0.0], [1.0, 0.5], [0.5, -1.0]]), np.array([0, 1, 1]))
    panel = plots.BoundaryPanel("p", probability, test, 0.5, test.x, 5)
    plots.boundary_figure([panel])
    plots.boundary_figure([panel, panel])
    assert grid_calls == [25]
