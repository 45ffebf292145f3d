"""Stage `plot`: both models side by side (with two features their decision boundaries, with
any other number the distributions of their predicted probabilities and their calibration),
and the learning curve."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import curveplot, files, modelfiles, params, paramsfile, plots, tables

    document = paramsfile.read_params(args.params)
    config = paramsfile.section(document, params.PlotParams)
    threshold = paramsfile.section(document, params.EvaluateParams).threshold
    train, test = tables.read_split(args.train, args.test)
    trained, classifiers = modelfiles.read_both(
        args.nn,
        args.logreg,
        args.scaler,
        paramsfile.section(document, params.NNParams),  # what the models must be trained with
        paramsfile.section(document, params.LogRegParams),
    )
    models = []
    for name, classifier in classifiers.items():
        accuracy = files.read_number(args.metrics, name, "accuracy")
        models.append((f"{classifier.title}\ntest accuracy {accuracy:.2%}", classifier.probability))
    comparison = plots.comparison_figure(models, train, test, threshold, config.grid_points)
    figures = {
        args.comparison: comparison,
        args.learning_curve: curveplot.learning_curve_figure(
            trained.cost_history,
            f"Learning curve: {classifiers['nn'].title}",
            penalised=trained.config.l2 > 0,
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
        reads=["plot", "evaluate.threshold", "nn", "logreg"],
        **_stage.INPUTS,
        metrics="metrics written by evaluate (JSON)",
        comparison=_stage.Output("both models side by side to write (PNG)"),
        learning_curve=_stage.Output("learning curve to write (PNG)"),
    )
