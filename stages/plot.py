"""Stage `plot`: both models' decision boundaries side by side, and the learning curve."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    import numpy as np

    from scratchnet import files, modelfiles, params, plots, tables

    document = params.read_params(args.params)
    config = params.section(document, params.PlotParams)
    threshold = params.section(document, params.EvaluateParams).threshold
    train, test = tables.read_dataset(args.train), tables.read_dataset(args.test)
    trained, classifiers = modelfiles.read_both(args.nn, args.logreg, args.scaler)
    extent = np.concatenate([train.x, test.x])
    panels = {}
    for name, classifier in classifiers.items():
        accuracy = files.read_number(args.metrics, name, "accuracy")
        title = f"{classifier.title}\ntest accuracy {accuracy:.2%}"
        panels[name] = plots.BoundaryPanel(
            title, classifier.probability, test, threshold, extent, config.grid_points, train
        )
    figures = {
        args.comparison: plots.boundary_figure(list(panels.values())),
        args.learning_curve: plots.learning_curve_figure(
            trained.cost_history,
            f"Learning curve: {classifiers['nn'].title}",
        ),
    }
    for path, figure in figures.items():
        files.write_bytes(path, plots.to_png(figure, config.dpi))
    folders = sorted({str(path.parent) for path in figures})
    return f"{len(figures)} figures in {', '.join(folders)}"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        **_stage.INPUTS,
        metrics="metrics written by evaluate (JSON)",
        comparison="both boundaries side by side to write (PNG)",
        learning_curve="learning curve to write (PNG)",
    )
