"""Stage `evaluate`: both models on the test set, with 95 % intervals, and the two compared on
the same rows → metrics and the data of DVC's plots."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import (
        curves,
        files,
        metrics,
        modelfiles,
        params,
        paramsfile,
        tables,
        tablewriter,
    )

    settings = paramsfile.read_params(args.params)
    config = paramsfile.section(settings, params.EvaluateParams)
    train, test = tables.read_split(args.train, args.test)
    trained, classifiers = modelfiles.read_both(
        args.nn,
        args.logreg,
        args.scaler,
        paramsfile.section(settings, params.NNParams),  # what the models must be trained with
        paramsfile.section(settings, params.LogRegParams),
    )
    document, roc_rows, predicted = {}, [], {}
    for name, classifier in classifiers.items():
        test_logit = classifier.logit(test.x)
        document[name] = metrics.summary(
            test.y, test_logit, train.y, classifier.logit(train.x), config.threshold
        )
        predicted[name] = metrics.labels_from_logits(test_logit, config.threshold)
        predictions = metrics.confusion_table(test.y, predicted[name])
        tablewriter.write_table(getattr(args, f"predictions_{name}"), predictions)
        roc = metrics.roc_curve(test.y, test_logit).thinned(metrics.PLOT_ROWS)
        roc_rows.append(
            {"model": name, "point": range(roc.fpr.size), "fpr": roc.fpr, "tpr": roc.tpr}
        )
        print(f"evaluate: {name}: {metrics.summary_line(document[name])}")
    comparison = metrics.PairedComparison.from_predictions(test.y, *predicted.values())
    document["compare"] = comparison.scores(*classifiers)
    for line in comparison.verdict(*classifiers):
        print(f"evaluate: {line}")
    tablewriter.write_tables(args.roc, roc_rows)
    epochs = curves.sampled_epochs(trained.cost_history.size)
    tablewriter.write_table(
        args.learning_curve, {"epoch": epochs, "cost": trained.cost_history[epochs - 1]}
    )
    files.write_json(args.metrics, document)
    return f"{args.metrics} and the data of 4 plots"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        reads=["evaluate", "nn", "logreg"],
        **_stage.INPUTS,
        metrics=_stage.Output("metrics to write (JSON: one object per model, one comparing them)"),
        learning_curve=_stage.Output("the network's learning curve, sampled, to write (CSV)"),
        predictions_nn=_stage.Output("network's test predictions to write (CSV)"),
        predictions_logreg=_stage.Output("logistic regression's test predictions to write (CSV)"),
        roc=_stage.Output("both models' ROC points to write (CSV)"),
    )
