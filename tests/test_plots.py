"""Figures and plot data: the choices that make them readable, checked on small cases."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.lines import Line2D

from scratchnet import curveplot, curves, plots, probplots
from scratchnet.datasets import Dataset


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


def _falling(epochs: int, start: float = 0.7, end: float = 0.05, scale: float = 0.2) -> np.ndarray:
    """A converging learning curve: a smooth fall from `start` towards `end`, by a factor e
    every `scale` of the epochs."""
    return end + (start - end) * np.exp(-np.arange(epochs) / (scale * epochs))


def _alternating(cost: np.ndarray, first: int, height: float) -> np.ndarray:
    """`cost` with every other epoch from epoch `first` (1-based) on `height` times higher:
    the two-value alternation of gradient descent at the edge of stability."""
    cost = cost.copy()
    cost[first::2] *= 1 + height
    return cost


def _relu_like() -> np.ndarray:
    """The shape of the relu run at the defaults: a blip at epoch 309, then from epoch 676 on
    spikes every 40 epochs, from about 0.27 up to 1.2 at first, growing to 2.6 at the end."""
    cost = _falling(60_000, 0.73, 0.25, scale=0.004)
    cost[308:312] = cost[307] * np.array([1.0002, 1.0005, 1.0003, 1.0001])
    spikes = np.arange(675, 60_000, 40)
    cost[spikes] = np.linspace(1.2, 2.6, spikes.size)
    return cost


def test_a_converging_curve_has_no_climb_and_a_final_cost() -> None:
    """Nothing climbs, or only by rounding-sized amounts: the zoom shows the last epochs."""
    cost = _falling(5_000)
    wiggled = cost * (1 + 1e-5 * (np.arange(cost.size) % 2))
    assert curves.main_climb(cost) is curves.main_climb(wiggled) is None
    assert curves.tail_range(cost) is curves.tail_range(wiggled) is None
    assert curves.zoom_window(cost.size, None) == (5_000 - curves.ZOOM_EPOCHS + 1, 5_000)
    figure = curveplot.learning_curve_figure(cost, "title")
    assert figure.axes[0].get_legend().get_texts()[0].get_text() == f"final cost {cost[-1]:#.3g}"
    assert figure.axes[1].get_title() == "last epochs: the cost never climbed 0.1%"


def test_an_oscillation_is_found_at_its_onset() -> None:
    """A 3 % alternation from epoch 502 on: the climb starts at epoch 501, the best before it."""
    cost = _alternating(_falling(20_000), 501, 0.03)
    climb = curves.main_climb(cost)
    assert climb == curves.Climb(start=501, reached=502, low=cost[500])
    low, high = curves.zoom_window(cost.size, climb)
    assert (low, high) == (501 - curves.ZOOM_EPOCHS // 4, 501 - curves.ZOOM_EPOCHS // 4 + 119)


def test_a_blip_before_an_oscillation_is_passed_over() -> None:
    """A one-epoch rise of 2 % at epoch 200, then a 30 % alternation from epoch 3,002: the zoom
    goes to the alternation, not to the blip (which a first rise of the cost would pick)."""
    cost = _alternating(_falling(20_000), 3_001, 0.3)
    cost[199] = cost[198] * 1.02
    climb = curves.main_climb(cost)
    assert climb is not None and (climb.start, climb.reached) == (3_001, 3_002)


def test_the_relu_case_zooms_on_the_first_large_spike_and_reports_the_swing() -> None:
    """The blip at epoch 309 is passed over, and so is the largest spike, at the end: the zoom
    shows where the swings begin; the legend gives the range of the last 10 % of the epochs
    instead of the last epoch's cost, a chance pick."""
    cost = _relu_like()
    climb = curves.main_climb(cost)
    assert climb is not None and (climb.start, climb.reached) == (675, 676)
    tail = cost[-6_000:]
    assert curves.tail_range(cost) == (tail.min(), tail.max())
    figure = curveplot.learning_curve_figure(cost, "title")
    whole, zoom = figure.axes
    legend = [text.get_text() for text in whole.get_legend().get_texts()]
    assert legend[0] == f"last 10 % of epochs: cost {tail.min():#.3g}–{tail.max():#.3g}"
    _, high = curves.zoom_window(cost.size, climb)
    top = cost[674:high].max()  # the spikes at epochs 676 and 716 (1.2, 1.202)
    assert zoom.get_title() == f"cost climbs {cost[674]:#.4g} → {top:#.4g} after epoch 675"


def test_a_slow_climb_widens_the_zoom_to_show_it() -> None:
    """The cost climbs 40 % over 400 epochs from epoch 1,000: the zoom spans all of it."""
    cost = _falling(5_000)
    cost[1_000:1_400] = cost[999] * np.linspace(1.001, 1.4, 400)
    climb = curves.main_climb(cost)
    assert climb is not None and climb.start == 1_000
    low, high = curves.zoom_window(cost.size, climb)
    assert low < 1_000 and high > climb.reached


def test_learning_curve_panels_say_log_scale_and_mark_the_zoomed_epochs() -> None:
    cost = _alternating(_falling(20_000), 501, 0.03)
    whole, zoom = curveplot.learning_curve_figure(cost, "title").axes
    assert whole.get_xscale() == whole.get_yscale() == "log"
    assert "log scale" in whole.get_xlabel() and "log scale" in whole.get_ylabel()
    (span,) = whole.patches
    low, high = curves.zoom_window(cost.size, curves.main_climb(cost))
    assert (span.get_x(), span.get_x() + span.get_width()) == (low, high)
    epochs = np.concatenate([line.get_xdata() for line in zoom.lines])
    assert (epochs.min(), epochs.max()) == (low, high)


def test_envelope_keeps_each_buckets_lowest_and_highest_cost() -> None:
    cost = np.random.default_rng(3).random(10_000)
    for starts in (curves.log_buckets(cost.size, 300), curves.linear_buckets(cost.size, 300)):
        assert starts[0] == 0 and np.all(np.diff(starts) > 0) and starts.size <= 300
        lowest, highest = curves.envelope(cost, starts)
        buckets = np.split(cost, starts[1:])
        assert np.array_equal(lowest, [bucket.min() for bucket in buckets])
        assert np.array_equal(highest, [bucket.max() for bucket in buckets])
    assert np.array_equal(curves.linear_buckets(50, 300), np.arange(50))


def test_learning_curve_figure_memory_does_not_grow_with_the_epochs() -> None:
    """10,000,000 epochs (an 80 MB history): the figure allocates under 16 MiB on top, however
    much the cost swings (min and max per bucket of epochs; the climbs in blocks)."""
    cost = np.full(10_000_000, 0.5)
    cost[1::2] = 0.7
    tracemalloc.start()
    try:
        curveplot.learning_curve_figure(cost, "title")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


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


def _scatters(ax: Axes) -> list[PathCollection]:
    """The scatters of a boundary panel: training by class, then test right/wrong."""
    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _points(ax: Axes) -> list[np.ndarray]:
    """The scattered points of a boundary panel: training by class, then test right/wrong."""
    return [c.get_offsets() for c in _scatters(ax)]


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


def test_boundary_legend_draws_each_kind_of_point_as_the_panels_do() -> None:
    """Every legend marker has the colour, size and transparency of points the panel draws
    (misclassified and training points in both class colours, not grey), and every kind of
    point drawn has its marker."""
    x = np.array([[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])
    data = Dataset(x, np.array([0, 1, 0, 1]))  # the last two on the wrong side of x1 = 0
    panel = plots.BoundaryPanel("p", _sigmoid_of_first, data, 0.5, x, 5, data)
    figure = plots.boundary_figure([panel])

    def look(colour: object, size: float) -> tuple[str, float]:
        return to_hex(colour, keep_alpha=True), round(size, 9)

    drawn = {look(c.get_facecolor()[0], c.get_sizes()[0]) for c in _scatters(figure.axes[0])}
    markers = [
        line for line in figure.legends[0].findobj(Line2D) if line.get_marker() not in ("None", "")
    ]
    shown = {
        look(to_rgba(m.get_markerfacecolor(), m.get_alpha()), m.get_markersize() ** 2)
        for m in markers
    }
    assert shown == drawn and len(drawn) == 6


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
        probplots.ProbabilityPanel("good", HAND_PROBABILITY, HAND_Y, 0.5),
        probplots.ProbabilityPanel("poor", 1 - HAND_PROBABILITY, HAND_Y, 0.3),
    ]
    figure = probplots.probability_figure(panels)
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
    figure = probplots.probability_figure(
        [probplots.ProbabilityPanel("m", HAND_PROBABILITY, HAND_Y, 0.5)]
    )
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
    _, _, count = probplots.reliability(probability, y)
    expected, _ = np.histogram(probability, probplots.RELIABILITY_BINS)
    assert np.array_equal(count, expected[expected > 0])


@pytest.mark.parametrize(("rows", "features"), [(1, 1), (300, 5)])
def test_probability_figure_renders_for_any_width(rows: int, features: int) -> None:
    rng = np.random.default_rng(features)
    x = rng.standard_normal((rows, features))
    y = (x.sum(axis=1) > 0).astype(np.int64)
    panels = [
        probplots.ProbabilityPanel("nn", _sigmoid_of_first(x), y, 0.5),
        probplots.ProbabilityPanel("logreg", np.full(rows, 0.5), y, 0.5),
    ]
    png = plots.to_png(probplots.probability_figure(panels), 40)
    assert png.startswith(b"\x89PNG") and png == plots.to_png(
        probplots.probability_figure(panels), 40
    )
