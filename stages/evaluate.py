"""Stage `evaluate`: both models on the test set → metrics, per-sample predictions, ROC points."""

from __future__ import annotations

from pathlib import Path

import _stage

from scratchnet import io, logreg_file, metrics, models, nn_file, params, scaler_file


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
    config = params.section(io.read_params(args.params), params.EvaluateParams)
    train, test = io.read_dataset(args.train), io.read_dataset(args.test)
    scaler = scaler_file.read_scaler(args.scaler)
    classifiers = [
        models.neural_network(
            nn_file.read_network(args.models / "nn.npz", args.models / "nn.json"), scaler
        ),
        models.logistic_regression(
            logreg_file.read_logistic(args.models / "logreg.npz", args.models / "logreg.json"),
            scaler,
        ),
    ]
    outputs: dict[Path, bytes] = {}
    for classifier in classifiers:
        test_logit = classifier.logit(test.x)
        summary = metrics.summary(
            test.y, test_logit, train.y, classifier.logit(train.x), config.threshold
        )
        predicted = metrics.predict_labels(classifier.probability(test.x), config.threshold)
        predictions = {"actual": test.y, "predicted": predicted}
        roc = metrics.roc_curve(test.y, test_logit)
        outputs[args.reports / "metrics" / f"{classifier.name}.json"] = io.encode_json(summary)
        outputs[args.reports / "predictions" / f"{classifier.name}.csv"] = io.encode_table(
            predictions
        )
        outputs[args.reports / "roc" / f"{classifier.name}.csv"] = io.encode_table(
            {"fpr": roc.fpr, "tpr": roc.tpr}
        )
    io.commit(outputs)


if __name__ == "__main__":
    _stage.run(main)
