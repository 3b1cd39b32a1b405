"""Tuning pieces: search spaces and what each tuner draws from them, types, the member split,
and the choice of tuner and of parallel trials."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import optuna
import pandas as pd
import pytest
from hyperopt import SparkTrials, Trials
from hyperopt.pyll import stochastic

from {{ cookiecutter.package_name }}.config import (
    Distribution,
    SplitSettings,
    TrainingSettings,
)
from {{ cookiecutter.package_name }}.errors import DataError, TrainingError
from {{ cookiecutter.package_name }}.estimators import typed
from {{ cookiecutter.package_name }}.model_inputs import Columns, model_frame
from {{ cookiecutter.package_name }}.split import with_part
from {{ cookiecutter.package_name }}.training import (
    before_tuning,
    sklearn_objective,
    tune,
)
from {{ cookiecutter.package_name }}.tuners import (
    Hyperopt,
    Optuna,
    hyperopt_space,
    make_tuner,
    optuna_params,
)

SPACE = {
    "learning_rate": Distribution(distribution="loguniform", low=0.01, high=0.3),
    "max_iter": Distribution(distribution="quniform", low=20, high=60, q=10),
    "l2_regularization": Distribution(distribution="uniform", low=0.0, high=1.0),
}


DRAWN = {
    **SPACE,
    # bounds that are not multiples of q: both tuners round them to the nearest multiple
    "max_leaf_nodes": Distribution(distribution="quniform", low=22, high=58, q=10),
    "max_features": Distribution(distribution="choice", options=[0.5, 1.0]),
}


def hyperopt_draws(space: dict, n: int) -> list[dict]:
    expressions, rng = hyperopt_space(space), np.random.default_rng(0)
    return [stochastic.sample(expressions, rng=rng) for _ in range(n)]


def optuna_draws(space: dict, n: int) -> list[dict]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    return [optuna_params(study.ask(), space) for _ in range(n)]


@pytest.mark.parametrize("draws", [hyperopt_draws, optuna_draws], ids=["hyperopt", "optuna"])
def test_both_tuners_draw_from_the_same_bounds_and_choices(draws) -> None:
    drawn = pd.DataFrame(draws(DRAWN, 600))
    # the same grid of multiples of q, ends included
    assert set(drawn["max_iter"]) == {20, 30, 40, 50, 60}
    assert set(drawn["max_leaf_nodes"]) == {20, 30, 40, 50, 60}
    assert set(drawn["max_features"]) == {0.5, 1.0}
    # continuous ranges: inside the bounds, reaching close to both ends
    for name, (low, high) in {"learning_rate": (0.01, 0.3), "l2_regularization": (0, 1)}.items():
        values = drawn[name]
        assert low <= values.min() < low + 0.05 * (high - low)
        assert high - 0.05 * (high - low) < values.max() <= high
    # loguniform: uniform in the logarithm, so half the draws fall below the geometric mean
    below = (drawn["learning_rate"] < np.sqrt(0.01 * 0.3)).mean()
    assert 0.44 < below < 0.56
    assert 0.44 < (drawn["l2_regularization"] < 0.5).mean() < 0.56


def test_integer_hyperparameters_are_cast() -> None:
    assert typed("hist_gradient_boosting", {"max_iter": 40.0, "learning_rate": 0.1}) == {
        "max_iter": 40,
        "learning_rate": 0.1,
    }
    assert type(typed("spark_gbt", {"maxDepth": 3.0})["maxDepth"]) is int


def test_split_is_by_entity_stable_and_sized(spark) -> None:
    members = spark.range(20_000).selectExpr("concat('M', id) as member_id")
    split = SplitSettings(holdout_fraction=0.2, validation_fraction=0.1)
    first = {r.member_id: r.part for r in with_part(members, split, ["member_id"]).collect()}
    again = {r.member_id: r.part for r in with_part(members, split, ["member_id"]).collect()}
    assert first == again
    shares = pd.Series(first).value_counts(normalize=True)
    assert abs(shares["holdout"] - 0.2) < 0.02 and abs(shares["validation"] - 0.1) < 0.02
    moved = {
        r.member_id: r.part
        for r in with_part(
            members,
            SplitSettings(holdout_fraction=0.2, validation_fraction=0.1, salt="other"),
            ["member_id"],
        ).collect()
    }
    assert moved != first


def test_single_node_trials_run_in_parallel_only_when_asked(spark) -> None:
    assert isinstance(make_tuner("hyperopt", True, 2, spark).trials, SparkTrials)
    assert type(make_tuner("hyperopt", True, 1, spark).trials) is Trials
    # Spark ML cannot fit inside a task: one trial at a time, whatever the tuner
    assert type(make_tuner("hyperopt", False, 4, spark).trials) is Trials
    assert make_tuner("optuna", True, 3) == Optuna(n_jobs=3)
    assert make_tuner("optuna", False, 3) == Optuna(n_jobs=1)
    assert make_tuner("optuna", True, 2).parallelism == 2
    assert isinstance(make_tuner("hyperopt", True, 1, spark), Hyperopt)


def test_model_frame_makes_numbers_of_booleans_with_gaps() -> None:
    pdf = pd.DataFrame({"flag": [True, None, False], "n": [1, 2, 3], "kind": ["a", None, "b"]})
    frame = model_frame(pdf, Columns(numeric=["flag", "n"], categorical=["kind"]))
    assert frame["flag"].dtype == "float64" and np.isnan(frame["flag"][1])
    assert frame["n"].tolist() == [1.0, 2.0, 3.0]
    assert frame["kind"].tolist() == ["a", None, "b"]


def learnable(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    kind = rng.choice(["a", "b"], rows)
    label = (x + (kind == "a") + rng.normal(scale=0.5, size=rows) > 1).astype(int)
    return pd.DataFrame({"x": x, "kind": kind, "label": label})


@pytest.mark.parametrize(
    ("tuner", "parallelism"), [("hyperopt", 1), ("hyperopt", 2), ("optuna", 1), ("optuna", 2)]
)
def test_tune_records_every_trial_and_the_best(spark, tuner: str, parallelism: int) -> None:
    columns = Columns(numeric=["x"], categorical=["kind"])
    objective = sklearn_objective(
        "hist_gradient_boosting", columns, learnable(600, 1), learnable(300, 2), seed=0
    )
    searcher = make_tuner(tuner, True, parallelism, spark)
    tuned = tune(objective, SPACE, "hist_gradient_boosting", max_evals=3, seed=0, tuner=searcher)
    assert len(tuned.trials) == 3 and all(t.status == "ok" for t in tuned.trials)
    assert tuned.best_validation_auc == max(t.metrics["val_roc_auc"] for t in tuned.trials) > 0.8
    assert isinstance(tuned.best_params["max_iter"], int)
    assert {t.number for t in tuned.trials} == {0, 1, 2}


@pytest.mark.parametrize("tuner", ["hyperopt", "optuna"])
def test_every_trial_failing_is_a_training_error_not_a_traceback(spark, tuner: str) -> None:
    def failing(params: dict) -> dict:
        return {"status": "fail"}

    searcher = make_tuner(tuner, True, 1, spark)
    with pytest.raises(TrainingError) as error:
        tune(failing, SPACE, "hist_gradient_boosting", max_evals=2, seed=0, tuner=searcher)
    [line] = error.value.problems
    assert line.startswith("all 2 tuning trials of hist_gradient_boosting failed")
    assert error.value.exit_code == 9


def test_both_tuners_log_their_trials_alike(spark, tmp_path) -> None:
    import mlflow

    from {{ cookiecutter.package_name }}.adapters.tracking import Tracking
    from {{ cookiecutter.package_name }}.config import TrackingSettings

    before = mlflow.get_tracking_uri()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    store = TrackingSettings(
        tracking_uri=uri,
        registry_uri=uri,
        experiment_name="tuners",
        artifact_location=(tmp_path / "artifacts").as_uri(),
    )
    columns = Columns(numeric=["x"], categorical=["kind"])
    objective = sklearn_objective(
        "hist_gradient_boosting", columns, learnable(600, 1), learnable(300, 2), seed=0
    )
    shapes, client = {}, mlflow.MlflowClient
    try:
        tracking = Tracking(store, tmp_path)
        experiment = tracking.experiment_id
        for tuner in ("hyperopt", "optuna"):
            searcher = make_tuner(tuner, True, 1, spark)
            tuned = tune(objective, SPACE, "hist_gradient_boosting", 3, seed=0, tuner=searcher)
            with tracking.start_run(f"train-{tuner}", {"step": "train"}) as run:
                tracking.log_trials(run.id, tuned.trials, tuner)
            query = f"tags.`mlflow.parentRunId` = '{run.id}'"
            children = client().search_runs([experiment], query)
            assert sorted(c.data.tags["trial"] for c in children) == ["0", "1", "2"]
            assert {c.data.tags["tuner"] for c in children} == {tuner}
            assert {c.info.status for c in children} == {"FINISHED"}
            shapes[tuner] = {
                (frozenset(c.data.tags), frozenset(c.data.params), frozenset(c.data.metrics))
                for c in children
            }
    finally:
        mlflow.set_tracking_uri(before)
    # the same tags, hyperparameters and metrics on every trial run, whichever tuner ran it
    assert shapes["hyperopt"] == shapes["optuna"] and len(shapes["optuna"]) == 1
    [(tags, params, recorded)] = shapes["optuna"]
    assert {"trial", "tuner", "status", "mlflow.parentRunId"} <= tags
    assert params == set(SPACE) and recorded == {"val_roc_auc", "fit_seconds"}


def settings_for(estimator: str = "hist_gradient_boosting", **changes) -> TrainingSettings:
    space = {"max_iter": {"distribution": "quniform", "low": 20, "high": 60, "q": 10}}
    if estimator != "hist_gradient_boosting":
        space = {"maxIter": space["max_iter"]}
    return TrainingSettings(
        estimator=estimator, max_evals=2, search_spaces={estimator: space}, **changes
    )


CART = SimpleNamespace(groups={"zip": "area", "age": "who"}, mappings_file="my_mappings.yml")


def checked_rows(zip_values: int, labels=(0, 1)) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 2_000
    return pd.DataFrame(
        {
            "part": rng.choice(["train", "holdout"], n),
            "label": rng.choice(labels, n),
            "age": rng.integers(18, 90, n).astype(float),
            "zip": [f"Z{i}" for i in rng.integers(0, zip_values, n)],
        }
    )


def test_too_many_categories_are_named_before_tuning() -> None:
    columns = Columns(numeric=["age"], categorical=["zip"])
    with pytest.raises(DataError) as raised:
        before_tuning(checked_rows(400), columns, CART, settings_for())
    [line] = raised.value.problems
    assert line.startswith("feature 'zip' (group 'area' of my_mappings.yml): 3")
    assert line.endswith(
        "distinct values in the training rows, more than 255 (the most hist_gradient_boosting "
        "takes): group its rare values in its definition, or leave it out with exclude_features"
    )
    # a Spark ML estimator has no limit of its own: training.max_categories decides
    more = settings_for("spark_gbt", max_categories=1000)
    assert set(before_tuning(checked_rows(400), columns, CART, more)) == {"age", "zip"}
    with pytest.raises(DataError, match=r"more than 100 \(training.max_categories\)"):
        before_tuning(
            checked_rows(400), columns, CART, settings_for("spark_gbt", max_categories=100)
        )


def test_an_infinite_feature_is_named_before_tuning() -> None:
    rows = checked_rows(10)
    rows.loc[rows.index[:3], "age"] = float("inf")
    with pytest.raises(DataError) as raised:
        before_tuning(rows, Columns(numeric=["age"], categorical=[]), CART, settings_for())
    assert raised.value.problems == [
        "feature 'age' (group 'who' of my_mappings.yml): 3 infinite values in the training and "
        "holdout rows: its definition must give a finite number or an empty value"
    ]
