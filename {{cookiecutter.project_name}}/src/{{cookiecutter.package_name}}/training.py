"""Tuning and fitting the configured estimator over the YAML search space (the tuner,
Hyperopt or Optuna, is in tuners.py).

Spark ML estimators train on Spark DataFrames, one trial at a time (a Spark ML fit cannot run
inside a Spark task); single-node estimators train on pandas, ``parallelism`` trials at a time.
Nothing here writes anywhere: results are returned. What a model takes as input is in
model_inputs.py, and the holdout in split.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .caching import cached
from .config import Distribution, TrainingSettings
from .errors import DataError, TrainingError
from .estimators import ESTIMATORS, build_sklearn, build_spark, typed
from .importance import (
    Importance,
    Native,
    permutation_importance,
    sample,
    standardised_coefficients,
)
from .model_inputs import Columns, model_frame
from .selection import Cart
from .tuners import Trial, Tuner, make_tuner


@dataclass(frozen=True)
class Tuned:
    trials: list[Trial]
    best_params: dict[str, Any]
    best_validation_auc: float


def _result(label: np.ndarray, score: np.ndarray, started: float) -> dict:
    """A trial's result: the validation ROC AUC the tuner maximises, and what MLflow records."""
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(label, score))
    return {
        "status": "ok",
        "val_roc_auc": auc,
        "fit_seconds": time.perf_counter() - started,
    }


def sklearn_objective(
    estimator: str, columns: Columns, train: pd.DataFrame, validation: pd.DataFrame, seed: int
) -> Callable[[dict], dict]:
    """Fit on ``train``, score the validation AUC; self-contained, so SparkTrials can ship it
    to a Python worker."""
    x_train, y_train = model_frame(train, columns), train["label"].to_numpy()
    x_val, y_val = model_frame(validation, columns), validation["label"].to_numpy()

    def objective(params: dict) -> dict:
        start = time.perf_counter()
        model = build_sklearn(estimator, typed(estimator, params), columns.categorical, seed)
        model.fit(x_train, y_train)
        return _result(y_val, model.predict_proba(x_val)[:, 1], start)

    return objective


def spark_scores(model, df: DataFrame, keep: str = "label") -> pd.DataFrame:
    """(``keep``, score) of a fitted Spark ML pipeline on ``df``, collected."""
    from pyspark.ml.functions import vector_to_array

    scored = model.transform(df).select(keep, vector_to_array("probability")[1].alias("score"))
    return scored.toPandas()


ROW = "importance__row"  # the position of a row in a frame `spark_predict` scores


def spark_predict(
    model, spark: SparkSession, columns: Columns
) -> Callable[[pd.DataFrame], np.ndarray]:
    """The scores of a fitted Spark ML pipeline on a pandas frame of its inputs as `model_frame`
    makes them, in its order: one Spark job per call. Numbers go in as doubles, which the
    pipeline's own cast to double leaves as they are."""
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    schema = StructType(
        [
            StructField(ROW, LongType()),
            *(StructField(c, DoubleType()) for c in columns.numeric),
            *(StructField(c, StringType()) for c in columns.categorical),
        ]
    )

    def predict(frame: pd.DataFrame) -> np.ndarray:
        rows = frame[columns.all].assign(**{ROW: np.arange(len(frame))})[schema.names]
        # The shuffle keeps the pipeline in tasks: over the local relation a pandas frame
        # becomes, the optimizer would run it in the driver, one row at a time.
        df = spark.createDataFrame(rows, schema).repartition(ROW)
        scored = spark_scores(model, df, keep=ROW)
        return scored.sort_values(ROW)["score"].to_numpy()

    return predict


def spark_sample(df: DataFrame, columns: Columns, total: int, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` of the ``total`` rows of ``df`` (their label and inputs), drawn at
    random (seeded) and collected once."""
    if total > rows:
        df = df.sample(fraction=min(1.0, 1.1 * rows / total), seed=seed)
    return sample(df.select("label", *columns.all).toPandas(), rows, seed)


def _owner(name: str, features: list[str]) -> str | None:
    """The feature an assembled input of `build_spark`'s pipeline came from."""
    for feature in features:
        if name == f"{feature}__imputed" or name.startswith(f"{feature}__onehot_"):
            return feature
    return None


def spark_native(model, rows: DataFrame, features: list[str]) -> Native | None:
    """Standardised coefficients of a fitted Spark ML pipeline that ends in a linear model,
    over its assembled inputs on ``rows`` (the rows it was fitted on); None for other models
    (trees: see importance.py)."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.stat import Summarizer

    last = model.stages[-1]
    if not hasattr(last, "coefficients"):
        return None
    assembled = PipelineModel(model.stages[:-1]).transform(rows)
    summary = Summarizer.metrics("mean", "variance", "count").summary(F.col("features"))
    stats = assembled.select(summary.alias("s")).first()["s"]
    attributes = assembled.schema["features"].metadata["ml_attr"]["attrs"]
    names = dict(sorted((a["idx"], a["name"]) for group in attributes.values() for a in group))
    inputs = [names.get(i, f"input_{i}") for i in range(last.numFeatures)]
    n = int(stats["count"])
    return standardised_coefficients(
        last.coefficients.toArray(),
        inputs,
        [_owner(name, features) or name for name in inputs],
        stats["mean"].toArray(),
        stats["variance"].toArray() * (n - 1) / n,  # the population's
        n,
    )


def spark_objective(
    estimator: str, columns: Columns, train: DataFrame, validation: DataFrame, seed: int
) -> Callable[[dict], dict]:
    """Fit a Spark ML pipeline on ``train``, score the validation AUC (runs on the driver)."""

    def objective(params: dict) -> dict:
        start = time.perf_counter()
        pipeline = build_spark(
            estimator, typed(estimator, params), columns.numeric, columns.categorical, seed
        )
        scores = spark_scores(pipeline.fit(train), validation)
        return _result(scores["label"].to_numpy(), scores["score"].to_numpy(), start)

    return objective


def tune(
    objective: Callable[[dict], dict],
    space: dict[str, Distribution],
    estimator: str,
    max_evals: int,
    seed: int,
    tuner: Tuner,
) -> Tuned:
    """``max_evals`` trials of ``tuner`` over ``space``: every trial (its hyperparameters as the
    estimator takes them), and the best one's hyperparameters."""
    done = [
        replace(trial, params=typed(estimator, trial.params))
        for trial in tuner.search(objective, space, max_evals, seed)
    ]
    succeeded = [t for t in done if t.status == "ok"]
    if not succeeded:
        raise TrainingError(
            [
                f"all {len(done)} tuning trials of {estimator} failed, so there is no model to "
                "register: each trial's run in the experiment says why (its status and logs); "
                "check training.search_spaces and the data the trials were given"
            ]
        )
    best = max(succeeded, key=lambda t: t.metrics["val_roc_auc"])
    return Tuned(done, best.params, best.metrics["val_roc_auc"])


@dataclass(frozen=True)
class Fitted:
    """A tuned model refitted on train + validation, and what it did on the holdout."""

    model: Any
    kind: str  # spark | sklearn
    tuned: Tuned
    holdout_label: np.ndarray
    holdout_score: np.ndarray
    importance: Importance
    example: Any  # a few input rows, as the model takes them
    sizes: dict[str, int]
    single_feature_auc: dict[str, float]  # each feature's own holdout ROC AUC (the leak guard's)


def pandas_parts(data: DataFrame, columns: Columns) -> dict[str, pd.DataFrame]:
    """The train, validation and holdout parts of ``data``, collected for a single-node model."""
    frame = data.select("part", "label", *columns.all).toPandas()
    return {p: frame[frame["part"] == p] for p in ("train", "validation", "holdout")}


# Estimators that cannot take more distinct values of a categorical feature than this.
CATEGORY_LIMITS = {"hist_gradient_boosting": 255}  # sklearn: a category count <= max_bins
CHECK_ROWS = 200_000  # the checks before tuning read a sample of at most this many rows


def checks_frame(data: DataFrame, columns: Columns, seed: int) -> pd.DataFrame:
    """The train and holdout parts of ``data`` (a sample of CHECK_ROWS at most), collected."""
    parts = data.where(F.col("part").isin("train", "holdout"))
    rows = parts.count()
    if rows > CHECK_ROWS:
        parts = parts.sample(fraction=CHECK_ROWS / rows, seed=seed)
    return parts.select("part", "label", *columns.all).toPandas()


def before_tuning(
    frame: pd.DataFrame, columns: Columns, cart: Cart, settings: TrainingSettings
) -> dict[str, float]:
    """What makes tuning wrong, found before any trial (after `check_split`): an infinite
    number, a categorical feature with more values than the estimator takes, a feature that
    leaks the label (see leakage.py). Returns each feature's own holdout ROC AUC."""
    from .leakage import single_feature_auc, suspects

    train, holdout = frame[frame["part"] == "train"], frame[frame["part"] == "holdout"]
    problems = []
    own = CATEGORY_LIMITS.get(settings.estimator)
    limit = min(settings.max_categories, own or settings.max_categories)
    why = (
        f"the most {settings.estimator} takes"
        if own is not None and own <= settings.max_categories
        else "training.max_categories"
    )
    numbers = model_frame(frame, Columns(columns.numeric, []))
    for feature in columns.numeric:
        infinite = int(np.isinf(numbers[feature].to_numpy()).sum())
        if infinite:
            problems.append(
                f"feature {feature!r} (group {cart.groups[feature]!r} of {cart.mappings_file}): "
                f"{infinite:,} infinite values in the training and holdout rows: its definition "
                "must give a finite number or an empty value"
            )
    for feature in columns.categorical:
        count = int(train[feature].nunique(dropna=True))
        if count > limit:
            problems.append(
                f"feature {feature!r} (group {cart.groups[feature]!r} of {cart.mappings_file}): "
                f"{count:,} distinct values in the training rows, more than {limit} ({why}): "
                "group its rare values in its definition, or leave it out with exclude_features"
            )
    if problems:
        raise DataError(problems)
    aucs = single_feature_auc(train, holdout, columns.numeric, columns.categorical)
    guard = settings.leak_guard
    leaks = suspects(aucs, guard.max_auc, guard.min_gap, guard.allow)
    if leaks:
        raise DataError(
            [
                f"feature {s.feature!r} (group {cart.groups[s.feature]!r} of "
                f"{cart.mappings_file}) alone has holdout ROC AUC {s.auc:.3f}, far above the "
                f"others (median {s.others:.3f}): it most likely leaks the label. Leave it out "
                "with exclude_features, or if it is truly known on the as-of date allow it: "
                f"training.leak_guard.allow: [{s.feature}]"
                for s in leaks
            ]
        )
    return aucs


def _two_classes(
    label: np.ndarray, rows: str = "the holdout", remedy: str = "more data needed"
) -> None:
    if len(np.unique(label)) < 2:
        raise DataError([f"labels: {rows} ({len(label)} rows) holds only one class; {remedy}"])


def _importance(
    predict: Callable[[pd.DataFrame], np.ndarray],
    rows: pd.DataFrame,
    columns: Columns,
    settings: TrainingSettings,
    native: Native | None = None,
) -> Importance:
    """Permutation importance of ``predict`` on ``rows`` (a holdout sample, with its labels)."""
    label = rows["label"].to_numpy()
    _two_classes(label, "the holdout sample for importance", "raise training.importance.rows")
    repeats = settings.importance.repeats
    permutation = permutation_importance(
        predict, model_frame(rows, columns), label, repeats, settings.seed
    )
    return Importance(permutation, native)


def train_model(
    data: DataFrame, cart: Cart, settings: TrainingSettings, spark: SparkSession
) -> Fitted:
    """Tune ``settings.estimator`` on the train part against the validation part, refit the
    best on both, and score the holdout. ``data`` holds the cart's features, label and part."""
    estimator, seed = settings.estimator, settings.seed
    space = settings.search_spaces[estimator]
    columns = Columns.of(cart)
    if ESTIMATORS[estimator].kind == "sklearn":
        parts = pandas_parts(data, columns)
        frame = pd.concat([parts["train"], parts["holdout"]])
        single_auc = before_tuning(frame, columns, cart, settings)
    else:
        single_auc = before_tuning(checks_frame(data, columns, seed), columns, cart, settings)
    single_node = ESTIMATORS[estimator].kind == "sklearn"
    tuner = make_tuner(settings.tuner, single_node, settings.parallelism, spark)
    if ESTIMATORS[estimator].kind == "sklearn":
        tuned = tune(
            sklearn_objective(estimator, columns, parts["train"], parts["validation"], seed),
            space,
            estimator,
            settings.max_evals,
            seed,
            tuner,
        )
        fit_on = pd.concat([parts["train"], parts["validation"]])
        model = build_sklearn(estimator, tuned.best_params, columns.categorical, seed)
        model.fit(model_frame(fit_on, columns), fit_on["label"].to_numpy())
        holdout = model_frame(parts["holdout"], columns)
        label = parts["holdout"]["label"].to_numpy()
        score = model.predict_proba(holdout)[:, 1]
        _two_classes(label)
        importance = _importance(
            lambda frame: model.predict_proba(frame)[:, 1],
            sample(parts["holdout"], settings.importance.rows, seed),
            columns,
            settings,
        )
        example = holdout.head(5)
        sizes = {p: len(f) for p, f in parts.items()}
    else:
        parts = {
            p: cached(data.where(F.col("part") == p)) for p in ("train", "validation", "holdout")
        }
        tuned = tune(
            spark_objective(estimator, columns, parts["train"], parts["validation"], seed),
            space,
            estimator,
            settings.max_evals,
            seed,
            tuner,
        )
        pipeline = build_spark(
            estimator, tuned.best_params, columns.numeric, columns.categorical, seed
        )
        fit_on = parts["train"].unionByName(parts["validation"])
        model = pipeline.fit(fit_on)
        scores = spark_scores(model, parts["holdout"])
        label, score = scores["label"].to_numpy(), scores["score"].to_numpy()
        _two_classes(label)
        importance = _importance(
            spark_predict(model, spark, columns),
            spark_sample(parts["holdout"], columns, len(label), settings.importance.rows, seed),
            columns,
            settings,
            spark_native(model, fit_on, columns.all),
        )
        example = parts["holdout"].select(*columns.all).limit(5)
        sizes = {p: f.count() for p, f in parts.items()}
    return Fitted(
        model,
        ESTIMATORS[estimator].kind,
        tuned,
        label,
        score,
        importance,
        example,
        sizes,
        single_auc,
    )


def model_requirements(kind: str) -> list[str]:
    """The packages a logged model needs, pinned to the versions it was trained with."""
    from importlib.metadata import version

    names = ["pyspark"] if kind == "spark" else ["scikit-learn", "cloudpickle"]
    return [f"{name}=={version(name)}" for name in (*names, "numpy", "pandas")]
