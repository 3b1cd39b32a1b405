"""The estimators a project can train, their hyperparameters, and how each is built.

`ESTIMATORS` is the one table: config validation reads the hyperparameter names from it and
training builds from it. Heavy libraries are imported only when an estimator is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["spark", "sklearn"]


@dataclass(frozen=True)
class EstimatorSpec:
    kind: Kind  # spark: a pyspark.ml Pipeline on DataFrames; sklearn: one node, pandas
    params: dict[str, type]  # hyperparameter -> int, float or str (the value's type)
    doc: str


ESTIMATORS: dict[str, EstimatorSpec] = {
    "hist_gradient_boosting": EstimatorSpec(
        "sklearn",
        {
            "learning_rate": float,
            "max_iter": int,
            "max_leaf_nodes": int,
            "max_depth": int,
            "min_samples_leaf": int,
            "l2_regularization": float,
            "max_features": float,
        },
        "sklearn.ensemble.HistGradientBoostingClassifier",
    ),
    "spark_gbt": EstimatorSpec(
        "spark",
        {
            "maxDepth": int,
            "maxIter": int,
            "stepSize": float,
            "subsamplingRate": float,
            "minInstancesPerNode": int,
            "maxBins": int,
        },
        "pyspark.ml.classification.GBTClassifier",
    ),
    "spark_random_forest": EstimatorSpec(
        "spark",
        {
            "numTrees": int,
            "maxDepth": int,
            "subsamplingRate": float,
            "minInstancesPerNode": int,
            "featureSubsetStrategy": str,
            "maxBins": int,
        },
        "pyspark.ml.classification.RandomForestClassifier",
    ),
    "spark_logistic_regression": EstimatorSpec(
        "spark",
        {"regParam": float, "elasticNetParam": float, "maxIter": int},
        "pyspark.ml.classification.LogisticRegression",
    ),
}


def typed(estimator: str, params: dict[str, Any]) -> dict[str, Any]:
    """Sampled hyperparameters cast to the types the estimator takes (Hyperopt yields floats)."""
    kinds = ESTIMATORS[estimator].params
    return {name: kinds[name](round(v) if kinds[name] is int else v) for name, v in params.items()}


def build_sklearn(estimator: str, params: dict[str, Any], categorical: list[str], seed: int):
    """An unfitted sklearn Pipeline: categorical columns ordinal-encoded, then the model.

    Numeric columns pass through with their missing values, which the model handles itself.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                categorical,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    model = HistGradientBoostingClassifier(
        **params,
        categorical_features=list(range(len(categorical))) or None,
        random_state=seed,
    )
    return Pipeline([("encode", encode), ("model", model)])


def build_spark(
    estimator: str, params: dict[str, Any], numeric: list[str], categorical: list[str], seed: int
):
    """An unfitted pyspark.ml Pipeline that takes the feature columns as the feature table has
    them: numbers and booleans cast to double and imputed, strings indexed and one-hot encoded.

    It reads a ``label`` column and adds ``probability`` and ``prediction``.
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import (
        GBTClassifier,
        LogisticRegression,
        RandomForestClassifier,
    )
    from pyspark.ml.feature import (
        Imputer,
        OneHotEncoder,
        SQLTransformer,
        StringIndexer,
        VectorAssembler,
    )

    classes = {
        "spark_gbt": GBTClassifier,
        "spark_random_forest": RandomForestClassifier,
        "spark_logistic_regression": LogisticRegression,
    }
    stages: list = []
    as_double = [f"{c}__double" for c in numeric]
    imputed = [f"{c}__imputed" for c in numeric]
    if numeric:
        casts = ", ".join(
            f"CAST(`{c}` AS DOUBLE) AS `{d}`" for c, d in zip(numeric, as_double, strict=True)
        )
        stages.append(SQLTransformer(statement=f"SELECT *, {casts} FROM __THIS__"))
        stages.append(Imputer(inputCols=as_double, outputCols=imputed, strategy="median"))
    indexed = [f"{c}__index" for c in categorical]
    encoded = [f"{c}__onehot" for c in categorical]
    if categorical:
        stages.append(
            StringIndexer(inputCols=categorical, outputCols=indexed, handleInvalid="keep")
        )
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
    stages.append(
        VectorAssembler(inputCols=imputed + encoded, outputCol="features", handleInvalid="keep")
    )
    seeded = {} if estimator == "spark_logistic_regression" else {"seed": seed}
    stages.append(classes[estimator](labelCol="label", featuresCol="features", **seeded, **params))
    return Pipeline(stages=stages)
