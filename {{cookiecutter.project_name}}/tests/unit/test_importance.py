"""Feature importance on synthetic problems whose informative and pure-noise features are
known: permutation importance, the same function for sklearn and Spark ML models, and the
standardised coefficients of a linear model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import ErrorbarContainer

from {{ cookiecutter.package_name }} import importance as imp
from {{ cookiecutter.package_name }}.estimators import build_sklearn, build_spark
from {{ cookiecutter.package_name }}.importance import (
    Importance,
    Permutation,
    importance_figure,
    permutation_importance,
    standardised_coefficients,
)
from {{ cookiecutter.package_name }}.model_inputs import Columns, model_frame
from {{ cookiecutter.package_name }}.training import (
    spark_native,
    spark_predict,
)

INFORMATIVE = ["strong", "medium", "plan"]
NOISE = ["noise_a", "noise_b", "noise_level"]
COLUMNS = Columns(["strong", "medium", "noise_a", "noise_b"], ["plan", "noise_level"])
PLAN_EFFECT = {"basic": -1.2, "plus": 0.0, "premium": 1.2}


def problem(rows: int, seed: int) -> pd.DataFrame:
    """Three features that set the label's odds, three that have nothing to do with it."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "strong": rng.normal(size=rows),
            "medium": rng.normal(size=rows),
            "noise_a": rng.normal(size=rows),
            "noise_b": rng.uniform(0, 100, size=rows),
            "plan": rng.choice(list(PLAN_EFFECT), size=rows),
            "noise_level": rng.choice(["x", "y", "z", "w"], size=rows),
        }
    )
    logit = 1.6 * frame["strong"] + 1.2 * frame["medium"] + frame["plan"].map(PLAN_EFFECT)
    frame["label"] = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def marked(predict, holdout: pd.DataFrame, samples: int = 6) -> tuple[int, int]:
    """(pure-noise features above noise, informative ones within noise) over ``samples``
    disjoint samples of the holdout, each with its own shuffles.

    The noise band holds 95% of a pure-noise feature's mean drops, so about one in twenty is
    above it by chance: more than 4 of 18 happens about once in 500 runs for an honest band
    (once in 10 for a band of 2 std), while these informative features are never within it.
    """
    noise = informative = 0
    size = len(holdout) // samples
    for i in range(samples):
        part = holdout.iloc[i * size : (i + 1) * size]
        result = permutation_importance(
            predict, model_frame(part, COLUMNS), part["label"].to_numpy(), repeats=5, seed=i
        )
        assert result.repeats == 5 and all(len(d) == 5 for d in result.drops.values())
        assert min(map(result.mean, INFORMATIVE)) > 0
        noise += sum(not result.within_noise(f) for f in NOISE)
        informative += sum(result.within_noise(f) for f in INFORMATIVE)
    return noise, informative


def test_a_tree_model_s_noise_features_land_within_noise() -> None:
    train, holdout = problem(3_000, seed=1), problem(6_000, seed=2)
    model = build_sklearn("hist_gradient_boosting", {"max_iter": 60}, COLUMNS.categorical, 3)
    model.fit(model_frame(train, COLUMNS), train["label"])
    noise, informative = marked(lambda frame: model.predict_proba(frame)[:, 1], holdout)
    assert noise <= 4 and informative == 0


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        ("spark_logistic_regression", {"regParam": 0.01, "maxIter": 20}),
        ("spark_gbt", {"maxIter": 5, "maxDepth": 3}),
    ],
)
def test_a_spark_model_s_noise_features_land_within_noise(spark, estimator, params) -> None:
    train, holdout = problem(3_000, seed=5), problem(6_000, seed=6)
    pipeline = build_spark(estimator, params, COLUMNS.numeric, COLUMNS.categorical, 7)
    model = pipeline.fit(spark.createDataFrame(train))
    noise, informative = marked(spark_predict(model, spark, COLUMNS), holdout)
    assert noise <= 4 and informative == 0


def test_spark_scores_come_back_in_the_frame_s_order(spark) -> None:
    train = problem(1_000, seed=9).assign(id=range(1_000))
    pipeline = build_spark("spark_logistic_regression", {}, COLUMNS.numeric, COLUMNS.categorical, 1)
    model = pipeline.fit(spark.createDataFrame(train))
    scored = model.transform(spark.createDataFrame(train)).toPandas().sort_values("id")
    expected = np.array([p[1] for p in scored["probability"]])
    reversed_rows = model_frame(train, COLUMNS).iloc[::-1]
    np.testing.assert_allclose(spark_predict(model, spark, COLUMNS)(reversed_rows), expected[::-1])


def test_all_shuffled_copies_are_scored_in_one_call() -> None:
    frame = model_frame(problem(500, seed=10), COLUMNS)
    calls: list[int] = []

    def predict(stacked: pd.DataFrame) -> np.ndarray:
        calls.append(len(stacked))
        return stacked["strong"].to_numpy()

    label = (frame["strong"] > 0).to_numpy().astype(int)
    result = permutation_importance(predict, frame, label, repeats=3, seed=1)
    assert calls == [500 * (1 + 6 * 3)]
    assert result.baseline == 1.0 and result.mean("strong") > 0.4
    assert all(result.drops[f] == (0.0, 0.0, 0.0) for f in frame.columns if f != "strong")


def test_batches_give_the_numbers_one_call_gives(monkeypatch) -> None:
    holdout = problem(400, seed=11)
    frame, label = model_frame(holdout, COLUMNS), holdout["label"].to_numpy()

    def predict(stacked: pd.DataFrame) -> np.ndarray:
        return (stacked["strong"] + stacked["plan"].map(PLAN_EFFECT)).to_numpy()

    whole = permutation_importance(predict, frame, label, repeats=2, seed=3)
    monkeypatch.setattr(imp, "BATCH_CELLS", 400 * 6 * 4)  # four variants per call
    assert permutation_importance(predict, frame, label, repeats=2, seed=3) == whole


def test_a_drop_inside_the_shuffles_own_spread_is_within_noise() -> None:
    drops = {
        "clear": (0.05, 0.052, 0.048, 0.051, 0.049),
        "noisy": (0.009, 0.003, 0.008, 0.004, 0.006),
    }
    result = Permutation(rows=1_000, repeats=5, seed=0, baseline=0.8, drops=drops)
    assert not result.within_noise("clear")
    assert result.within_noise("noisy")
    assert result.mean("noisy") > 2 * result.std("noisy")  # a 2-std rule would call it signal
    assert result.bound("noisy") == pytest.approx(3.041 * result.std("noisy"), rel=1e-3)


def test_standardised_coefficients_rank_by_effect_not_by_range(spark) -> None:
    """A wide-ranging feature with a strong effect, a narrow one with a weak effect: the raw
    coefficients rank them the wrong way round, the standardised ones do not."""
    rng = np.random.default_rng(12)
    narrow, wide = rng.uniform(0.05, 0.16, 4_000), rng.uniform(185, 4254, 4_000)
    logit = 0.3 * (narrow - narrow.mean()) / narrow.std() + 1.5 * (wide - wide.mean()) / wide.std()
    label = (rng.uniform(size=4_000) < 1 / (1 + np.exp(-logit))).astype(int)
    rows = spark.createDataFrame(pd.DataFrame({"narrow": narrow, "wide": wide, "label": label}))
    model = build_spark("spark_logistic_regression", {}, ["narrow", "wide"], [], 1).fit(rows)
    raw = dict(
        zip(["narrow", "wide"], np.abs(model.stages[-1].coefficients.toArray()), strict=True)
    )
    native = spark_native(model, rows, ["narrow", "wide"])
    assert raw["narrow"] > raw["wide"]
    assert native.values["wide"] > 3 * native.values["narrow"]
    assert native.values["wide"] == pytest.approx(raw["wide"] * wide.std(), rel=1e-6)
    assert native.rows == 4_000 and "standardised" in native.label
    assert set(native.slots) == {"narrow__imputed", "wide__imputed"}


def test_trees_have_no_native_measure(spark) -> None:
    rows = spark.createDataFrame(problem(300, seed=13))
    model = build_spark("spark_gbt", {"maxIter": 2}, COLUMNS.numeric, COLUMNS.categorical, 1)
    assert spark_native(model.fit(rows), rows, COLUMNS.all) is None


def test_a_category_s_coefficients_give_the_spread_of_its_log_odds_term() -> None:
    rng = np.random.default_rng(14)
    levels = rng.choice(4, size=10_000, p=[0.5, 0.3, 0.15, 0.05])
    onehot = np.eye(4)[levels][:, :3]  # the last level is all zeros, as OneHotEncoder drops it
    age = rng.normal(50, 12, size=10_000)
    inputs = np.column_stack([age, onehot])
    beta = np.array([0.02, 0.4, -1.1, 2.0])
    native = standardised_coefficients(
        beta,
        ["age__imputed", "plan__onehot_a", "plan__onehot_b", "plan__onehot_c"],
        ["age", "plan", "plan", "plan"],
        inputs.mean(axis=0),
        inputs.var(axis=0),
        rows=10_000,
    )
    assert native.values["plan"] == pytest.approx(np.std(onehot @ beta[1:]), rel=1e-9)
    assert native.values["plan"] < np.sum(np.abs(beta[1:] * onehot.std(axis=0)))
    assert native.values["age"] == pytest.approx(0.02 * age.std(), rel=1e-9)
    assert native.slots["plan__onehot_b"] == pytest.approx(-1.1 * onehot[:, 1].std(), rel=1e-9)


PERMUTATION = Permutation(
    rows=5_000,
    repeats=5,
    seed=7,
    baseline=0.81,
    drops={
        "age": (0.06, 0.061, 0.059, 0.062, 0.058),
        "region": (0.001, -0.002, 0.002, 0.0, -0.001),
    },
)


def test_the_json_holds_the_plot_s_numbers_and_what_they_mean() -> None:
    native = standardised_coefficients(
        np.array([0.5, 0.1]),
        ["age__imputed", "region__onehot_n"],
        ["age", "region"],
        np.array([0.0, 0.5]),
        np.array([4.0, 0.25]),
        rows=900,
    )
    document = json.loads(json.dumps(Importance(PERMUTATION, native).as_dict()))
    assert document["method"] == "permutation" and document["metric"] == "roc_auc"
    assert (document["part"], document["rows"], document["repeats"]) == ("holdout", 5_000, 5)
    age, region = document["features"]["age"], document["features"]["region"]
    assert age["mean"] == pytest.approx(0.06) and age["repeats"] == 5
    assert age["std"] == pytest.approx(np.std(PERMUTATION.drops["age"], ddof=1))
    assert (age["within_noise"], region["within_noise"]) == (False, True)
    assert document["native"]["values"] == {"age": 1.0, "region": 0.05}
    assert "standardised" in document["native"]["label"]
    assert Importance(PERMUTATION, None).as_dict()["native"] is None


def test_the_plot_says_what_was_measured_and_greys_what_is_noise() -> None:
    figure = importance_figure(Importance(PERMUTATION, None))
    (axes,) = figure.axes
    region, age = axes.patches  # smallest first, so the largest is drawn on top
    assert to_hex(region.get_facecolor()) == to_hex(imp.WITHIN_NOISE)
    assert to_hex(age.get_facecolor()) == to_hex(imp.ABOVE_NOISE)
    assert age.get_width() == pytest.approx(0.06)
    assert "5,000 holdout rows" in axes.get_title() and "5 repeats" in axes.get_title()
    assert "drop in ROC AUC" in axes.get_xlabel()
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["above noise", "within noise"]
    (bars,) = [c for c in axes.containers if isinstance(c, ErrorbarContainer)]
    (region_band, age_band) = bars.lines[2][0].get_segments()  # the noise bands, as error bars
    bound = PERMUTATION.bound("age")
    np.testing.assert_allclose(age_band[:, 0], [0.06 - bound, 0.06 + bound])


def test_a_linear_model_s_plot_shows_its_coefficients_beside() -> None:
    native = standardised_coefficients(
        np.array([0.5, 0.1]),
        ["age__imputed", "region__onehot_n"],
        ["age", "region"],
        np.array([0.0, 0.5]),
        np.array([4.0, 0.25]),
        rows=900,
    )
    figure = importance_figure(Importance(PERMUTATION, native))
    assert len(figure.axes) == 2
    assert "standardised coefficients" in figure.axes[1].get_title()
    assert "900 training rows" in figure.axes[1].get_title()
