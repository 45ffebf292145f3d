"""Stage `evaluate`: both models on the test set → metrics and the data of DVC's plots."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import curves, io, metrics, models, params

    config = io.read_section(args.params, params.EvaluateParams)
    train, test = io.read_dataset(args.train), io.read_dataset(args.test)
    trained = io.read_network(args.nn)
    classifiers = models.both(trained, io.read_logistic(args.logreg), io.read_scaler(args.scaler))
    document, roc_rows = {}, []
    for name, classifier in classifiers.items():
        test_logit = classifier.logit(test.x)
        document[name] = metrics.summary(
            test.y, test_logit, train.y, classifier.logit(train.x), config.threshold
        )
        predicted = metrics.predict_labels(classifier.probability(test.x), config.threshold)
        predictions = {"actual": test.y, "predicted": predicted}
        io.write_table(getattr(args, f"predictions_{name}"), predictions)
        roc = metrics.roc_curve(test.y, test_logit)
        roc_rows.append(
            {"model": name, "point": range(roc.fpr.size), "fpr": roc.fpr, "tpr": roc.tpr}
        )
        scores = document[name]
        print(
            f"evaluate: {name}: test accuracy {scores['accuracy']:.2%}, "
            f"ROC AUC {scores['roc_auc']:.3f}"
        )
    io.write_tables(args.roc, roc_rows)
    epochs = curves.sampled_epochs(trained.cost_history.size)
    io.write_table(args.learning_curve, {"epoch": epochs, "cost": trained.cost_history[epochs - 1]})
    io.write_json(args.metrics, document)
    return f"{args.metrics} and the data of 4 plots"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        **_stage.MODEL_INPUTS,
        metrics="metrics to write (JSON, one object per model)",
        learning_curve="the network's learning curve, sampled, to write (CSV)",
        predictions_nn="network's test predictions to write (CSV)",
        predictions_logreg="logistic regression's test predictions to write (CSV)",
        roc="both models' ROC points to write (CSV)",
    )
