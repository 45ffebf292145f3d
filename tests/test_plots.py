"""Figures and plot data: the choices that make them readable, checked on small cases."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection

from scratchnet import curveplot, curves, plots
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
    figure = curveplot.learning_curve_figure(cost, "title")
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


def _sigmoid_of_first(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x[:, 0]))


def _points(ax: Axes) -> list[np.ndarray]:
    """The scattered points of a boundary panel: training by class, then test right/wrong."""
    return [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]


def test_boundary_axes_are_named_after_the_features() -> None:
    names = ("höhe (cm)", "weight in kg")
    test = Dataset(np.array([[-1.0, 0.0], [1.0, 0.5], [0.5, -1.0]]), np.array([0, 1, 1]), names)
    panel = plots.BoundaryPanel("p", _sigmoid_of_first, test, 0.5, test.x, 5)
    (ax,) = plots.boundary_figure([panel]).axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == names


def test_large_sets_are_drawn_as_a_seeded_sample_that_the_legend_names() -> None:
    """Each set beyond MAX_POINTS_SHOWN rows is drawn as a sample of that many distinct rows,
    the same in every panel; misclassified marks are decided on the sampled rows."""
    rng = np.random.default_rng(0)
    n_test, n_train = plots.MAX_POINTS_SHOWN + 500, 3 * plots.MAX_POINTS_SHOWN
    test = Dataset(rng.standard_normal((n_test, 2)), rng.integers(0, 2, n_test))
    train = Dataset(rng.standard_normal((n_train, 2)), rng.integers(0, 2, n_train))
    panel = plots.BoundaryPanel("p", _sigmoid_of_first, test, 0.5, test.x, 5, train)
    figure = plots.boundary_figure([panel, panel])
    rows = plots.shown_rows(n_test)
    assert rows.size == plots.MAX_POINTS_SHOWN and np.all(np.diff(rows) > 0)
    x, y = test.x[rows], test.y[rows]
    wrong = (x[:, 0] >= 0) != (y == 1)  # P(y = 1) = sigmoid(x1) >= 0.5 where x1 >= 0
    expected = [x[(y == label) & (wrong == mark)] for label in (0, 1) for mark in (False, True)]
    train_rows = plots.shown_rows(n_train)
    for ax in figure.axes:
        train_0, train_1, *test_points = _points(ax)
        assert len(train_0) + len(train_1) == plots.MAX_POINTS_SHOWN
        assert np.array_equal(train_0, train.x[train_rows][train.y[train_rows] == 0])
        assert all(map(np.array_equal, test_points, expected))
    shown = f"{plots.MAX_POINTS_SHOWN:,}"
    assert figure.legends[0].get_title().get_text() == (
        f"test points: {shown} of {n_test:,} shown, a random sample\n"
        f"training points: {shown} of {n_train:,} shown, a random sample"
    )


def test_small_sets_are_drawn_whole_without_a_sample_note() -> None:
    test = Dataset(np.array([[-1.0, 0.0], [1.0, 0.5], [0.5, -1.0]]), np.array([0, 1, 1]))
    panel = plots.BoundaryPanel("p", _sigmoid_of_first, test, 0.5, test.x, 5, test)
    figure = plots.boundary_figure([panel])
    assert sum(len(p) for p in _points(figure.axes[0])) == 2 * len(test)
    assert figure.legends[0].get_title().get_text() == ""


# P(y = 1) and labels chosen off the bin edges, so the bins can be worked out by hand.
HAND_PROBABILITY = np.array([0.05, 0.12, 0.18, 0.33, 0.55, 0.61, 0.97, 1.0])
HAND_Y = np.array([0, 0, 1, 0, 0, 1, 1, 1])


def test_probability_figure_has_each_classes_histogram_and_the_threshold() -> None:
    panels = [
        plots.ProbabilityPanel("good", HAND_PROBABILITY, HAND_Y, 0.5),
        plots.ProbabilityPanel("poor", 1 - HAND_PROBABILITY, HAND_Y, 0.3),
    ]
    figure = plots.probability_figure(panels)
    assert len(figure.axes) == 2 * len(panels)
    top_axes = figure.axes[: len(panels)]
    for ax, panel in zip(top_axes, panels, strict=True):
        assert ax.get_title() == panel.title
        outlines = [p for p in ax.patches if p.get_label().startswith("class")]
        assert len(outlines) == 2
        for label, outline in enumerate(outlines):
            expected, edges = np.histogram(panel.probability[panel.y == label], 20, (0, 1))
            values, drawn_edges, _ = outline.get_data()
            assert np.array_equal(values, expected) and np.allclose(drawn_edges, edges)
        assert [line.get_xdata()[0] for line in ax.lines] == [panel.threshold]
        legend = [text.get_text() for text in ax.get_legend().get_texts()]
        assert legend[:2] == ["class 0: 4", "class 1: 4"]


def test_reliability_points_are_the_bins_means_sized_by_their_rows() -> None:
    figure = plots.probability_figure([plots.ProbabilityPanel("m", HAND_PROBABILITY, HAND_Y, 0.5)])
    (points,) = figure.axes[1].collections
    expected = [
        (0.05, 0.0),  # bin [0, 0.1): 0.05
        (0.15, 0.5),  # [0.1, 0.2): 0.12 (class 0) and 0.18 (class 1)
        (0.33, 0.0),
        (0.55, 0.0),
        (0.61, 1.0),
        (0.985, 1.0),  # [0.9, 1]: 0.97 and 1.0, the last bin holds P = 1
    ]
    assert np.allclose(points.get_offsets(), expected)
    sizes = points.get_sizes()
    assert sizes[1] == sizes[5] > sizes[0] == sizes[2] == sizes[3] == sizes[4]
    assert figure.axes[1].get_xlim() == figure.axes[1].get_ylim() == (0, 1)


def test_reliability_bins_match_numpy_histogram_on_bin_edges() -> None:
    edges = [np.linspace(0, 1, 11), np.arange(11) / 10]  # 0.3 and linspace's 0.30000000000000004
    probability = np.concatenate([*edges, np.random.default_rng(1).random(500)])
    y = (probability > 0.5).astype(np.int64)
    _, _, count = plots.reliability(probability, y)
    expected, _ = np.histogram(probability, plots.RELIABILITY_BINS)
    assert np.array_equal(count, expected[expected > 0])


@pytest.mark.parametrize(("rows", "features"), [(1, 1), (300, 5)])
def test_probability_figure_renders_for_any_width(rows: int, features: int) -> None:
    rng = np.random.default_rng(features)
    x = rng.standard_normal((rows, features))
    y = (x.sum(axis=1) > 0).astype(np.int64)
    panels = [
        plots.ProbabilityPanel("nn", _sigmoid_of_first(x), y, 0.5),
        plots.ProbabilityPanel("logreg", np.full(rows, 0.5), y, 0.5),
    ]
    png = plots.to_png(plots.probability_figure(panels), 40)
    assert png.startswith(b"\x89PNG") and png == plots.to_png(plots.probability_figure(panels), 40)
