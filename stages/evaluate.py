"""Stage `evaluate`: both models on the test set → metrics and the data of DVC's plots."""

from __future__ import annotations

import argparse

import _stage


def main(args: argparse.Namespace) -> str:
    from scratchnet import io, metrics, models, params

    config = io.read_section(args.params, params.EvaluateParams)
    train, test = io.read_dataset(args.train), io.read_dataset(args.test)
    scaler = io.read_scaler(args.scaler)
    trained = io.read_network(args.nn)
    classifiers = {
        "nn": models.neural_network(trained.network, scaler),
        "logreg": models.logistic_regression(io.read_logistic(args.logreg), scaler),
    }
    document = {}
    for name, classifier in classifiers.items():
        test_logit = classifier.logit(test.x)
        document[name] = metrics.summary(
            test.y, test_logit, train.y, classifier.logit(train.x), config.threshold
        )
        predicted = metrics.predict_labels(classifier.probability(test.x), config.threshold)
        predictions = {"actual": test.y, "predicted": predicted}
        io.write_table(getattr(args, f"predictions_{name}"), predictions)
        roc = metrics.roc_curve(test.y, test_logit)
        io.write_table(getattr(args, f"roc_{name}"), {"fpr": roc.fpr, "tpr": roc.tpr})
        scores = document[name]
        print(
            f"evaluate: {classifier.title}: test accuracy {scores['accuracy']:.2%}, "
            f"ROC AUC {scores['roc_auc']:.3f}"
        )
    cost = trained.cost_history
    io.write_table(args.learning_curve, {"epoch": range(1, cost.size + 1), "cost": cost})
    io.write_json(args.metrics, document)
    return f"{args.metrics} and the data of 5 plots"


if __name__ == "__main__":
    _stage.run(
        main,
        __doc__,
        train="training rows (CSV)",
        test="test rows (CSV)",
        scaler="standardisation statistics (.npz)",
        nn="network model file (.npz)",
        logreg="logistic-regression model file (.npz)",
        metrics="metrics to write (JSON, one object per model)",
        learning_curve="the network's cost per epoch to write (CSV)",
        predictions_nn="network's test predictions to write (CSV)",
        predictions_logreg="logistic regression's test predictions to write (CSV)",
        roc_nn="network's ROC points to write (CSV)",
        roc_logreg="logistic regression's ROC points to write (CSV)",
    )
