"""`ESTIMATORS` is the one table both builders build from: its class, seed keyword and
category keyword, so a new estimator is one entry (plus its search space)."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.estimators import (
    ESTIMATORS,
    EstimatorSpec,
    build_sklearn,
    build_spark,
    estimator_class,
)


def built(name: str, seed: int):
    """The estimator stage of what the builder for ``name``'s kind makes."""
    if ESTIMATORS[name].kind == "sklearn":
        return build_sklearn(name, {}, ["plan"], seed).named_steps["model"]
    return build_spark(name, {}, ["age"], ["plan"], seed).getStages()[-1]


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_each_entry_builds_its_class_seeded_by_its_keyword(spark, name: str) -> None:
    spec = ESTIMATORS[name]
    model = built(name, seed=11)
    assert type(model) is estimator_class(name)
    if spec.kind == "sklearn":
        assert model.get_params().get(spec.seed) == 11
    elif spec.seed:
        assert model.getOrDefault(spec.seed) == 11
    else:
        assert not model.hasParam("seed") or not model.isSet("seed")


def test_a_new_entry_is_all_either_builder_needs(spark, monkeypatch) -> None:
    monkeypatch.setitem(
        ESTIMATORS,
        "random_forest",
        EstimatorSpec(
            "sklearn",
            {"n_estimators": int},
            "sklearn.ensemble.RandomForestClassifier",
            seed="random_state",
        ),
    )
    monkeypatch.setitem(
        ESTIMATORS,
        "spark_tree",
        EstimatorSpec(
            "spark", {"maxDepth": int}, "pyspark.ml.classification.DecisionTreeClassifier", "seed"
        ),
    )
    forest = build_sklearn("random_forest", {"n_estimators": 7}, [], 5).named_steps["model"]
    assert type(forest).__name__ == "RandomForestClassifier"
    assert (forest.n_estimators, forest.random_state) == (7, 5)
    tree = build_spark("spark_tree", {"maxDepth": 3}, ["age"], [], 5).getStages()[-1]
    assert type(tree).__name__ == "DecisionTreeClassifier"
    assert (tree.getMaxDepth(), tree.getSeed(), tree.getLabelCol()) == (3, 5, "label")


def test_categories_are_named_only_to_an_estimator_that_takes_them() -> None:
    model = build_sklearn("hist_gradient_boosting", {}, ["plan", "region"], 1)
    assert model.named_steps["model"].categorical_features == [0, 1]
    assert (
        build_sklearn("hist_gradient_boosting", {}, [], 1).named_steps["model"].categorical_features
        is None
    )
