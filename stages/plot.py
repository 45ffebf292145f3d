"""Stage `plot`: decision boundaries (each model and side by side) and the learning curve."""

from __future__ import annotations

import _stage
import numpy as np

from scratchnet import io, logreg_file, models, nn_file, params, plots, scaler_file


def main(argv: list[str] | None = None) -> None:
    args = _stage.parse_args(
        __doc__,
        argv,
        train="data/split/train.csv",
        test="data/split/test.csv",
        scaler="data/split/scaler.json",
        models="models",
        reports="reports",
    )
    document = io.read_params(args.params)
    config = params.section(document, params.PlotParams)
    threshold = params.section(document, params.EvaluateParams).threshold
    train, test = io.read_dataset(args.train), io.read_dataset(args.test)
    scaler = scaler_file.read_scaler(args.scaler)
    net = nn_file.read_network(args.models / "nn.npz", args.models / "nn.json")
    classifiers = [
        models.neural_network(net, scaler),
        models.logistic_regression(
            logreg_file.read_logistic(args.models / "logreg.npz", args.models / "logreg.json"),
            scaler,
        ),
    ]
    extent = np.concatenate([train.x, test.x])
    panels = []
    for classifier in classifiers:
        accuracy = io.read_number(args.reports / "metrics" / f"{classifier.name}.json", "accuracy")
        title = f"{classifier.title}\ntest accuracy {accuracy:.2%}"
        panels.append(plots.BoundaryPanel(title, classifier.probability, test, threshold))
    figures = {
        f"boundary_{classifier.name}.png": plots.boundary_figure(
            [panel], extent, config.grid_points
        )
        for classifier, panel in zip(classifiers, panels, strict=True)
    }
    figures["comparison.png"] = plots.boundary_figure(panels, extent, config.grid_points)
    cost = io.read_cost_curve(args.reports / "nn" / "cost.csv")
    learning_rate = io.read_number(args.models / "nn.json", "learning_rate")
    figures["learning_curve.png"] = plots.learning_curve_figure(
        cost, f"{classifiers[0].title}, learning rate {learning_rate:g}"
    )
    figures_dir = args.reports / "figures"
    io.commit({figures_dir / name: plots.to_png(fig, config.dpi) for name, fig in figures.items()})


if __name__ == "__main__":
    _stage.run(main)
