"""Scoring inputs checked against the feature table, scores on the driver and in Spark, and the
delivery worklist's cut."""

from __future__ import annotations

import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql import types as T
from sklearn.ensemble import HistGradientBoostingClassifier

from {{ cookiecutter.package_name }}.delivery import (
    report,
    worklist,
)
from {{ cookiecutter.package_name }}.model_inputs import Columns, model_frame
from {{ cookiecutter.package_name }}.scoring import (
    LoadedModel,
    feature_problems,
    score,
    scored_here,
)

MODEL = LoadedModel(
    name="risk",
    version="3",
    run_id="r",
    kind="sklearn",
    model=None,
    columns=Columns.of_signature(
        [("age", "double"), ("rural", "boolean"), ("plan_type", "string")]
    ),
    uri="models:/risk/3",
)


def table(**types: T.DataType) -> T.StructType:
    return T.StructType([T.StructField(name, kind) for name, kind in types.items()])


def test_signature_types_become_numeric_or_categorical_inputs() -> None:
    assert MODEL.columns.numeric == ["age", "rural"]
    assert MODEL.columns.categorical == ["plan_type"]


def test_matching_table_has_no_problems() -> None:
    schema = table(
        age=T.IntegerType(), rural=T.BooleanType(), plan_type=T.StringType(), extra=T.DateType()
    )
    assert feature_problems(MODEL, schema, "features") == []


def test_missing_and_retyped_features_are_named() -> None:
    schema = table(age=T.StringType(), plan_type=T.IntegerType())
    assert feature_problems(MODEL, schema, "features") == [
        "features: column 'age' is string now; risk version 3 was trained with it as a number",
        "features: has no column 'rural', which risk version 3 takes as input",
        "features: column 'plan_type' is int now; risk version 3 was trained with it as a string",
    ]


def test_any_spark_number_or_boolean_is_a_numeric_input() -> None:
    schema = table(age=T.DecimalType(10, 2), rural=T.ShortType(), plan_type=T.StringType())
    assert feature_problems(MODEL, schema, "features") == []
    schema = table(age=T.DateType(), rural=T.BooleanType(), plan_type=T.FloatType())
    assert [p.split(" now;")[0] for p in feature_problems(MODEL, schema, "features")] == [
        "features: column 'age' is date",
        "features: column 'plan_type' is float",
    ]


def test_worklist_ranks_and_cuts(spark) -> None:
    scores = spark.createDataFrame(
        [("A", 0.9), ("B", 0.2), ("C", 0.9), ("D", 0.5), ("E", 0.05)],
        "member_id string, score double",
    )
    top = [
        (r.rank, r.member_id)
        for r in worklist(scores, ["member_id"], 3, None).orderBy("rank").collect()
    ]
    assert top == [(1, "A"), (2, "C"), (3, "D")]  # a tie goes to the lower member_id
    above = {r.member_id for r in worklist(scores, ["member_id"], None, 0.5).collect()}
    assert above == {"A", "C", "D"}
    summary = report(scores, delivered=3)
    assert (summary["scored"], summary["delivered"]) == (5, 3)
    assert summary["score"]["max"] == 0.9 and abs(summary["score"]["mean"] - 0.51) < 1e-9


def _fitted(spark):
    """A small fitted model and the rows it scores, as a Spark frame."""
    rows = pd.DataFrame(
        {
            "member_id": [f"M{i:03d}" for i in range(60)],
            "age": [float(20 + i % 50) for i in range(60)],
            "rural": [i % 3 == 0 for i in range(60)],
            "label": [int(i % 50 > 30) for i in range(60)],
        }
    )
    columns = Columns(["age", "rural"], [])
    fitted = HistGradientBoostingClassifier(max_iter=5).fit(
        model_frame(rows, columns), rows["label"]
    )
    model = LoadedModel("risk", "1", "r", "sklearn", fitted, columns, "models:/risk/1")
    return model, spark.createDataFrame(rows)


def test_scores_on_the_driver_are_the_scores_spark_computes(spark) -> None:
    model, df = _fitted(spark)
    keep = ["member_id", "label"]
    here = scored_here({"challenger": model}, df, keep)["challenger"]
    in_spark = score(model, df, keep).toPandas().sort_values("member_id").reset_index(drop=True)
    assert list(here.columns) == [*keep, "score"]
    assert here.sort_values("member_id").reset_index(drop=True).equals(in_spark)
    assert here["score"].nunique() > 1  # a real model's scores, not one constant


def _plan(df, capsys) -> str:
    df.explain()
    return capsys.readouterr().out


def test_a_frame_within_driver_rows_scores_on_the_driver_with_the_same_scores(
    spark, capsys
) -> None:
    model, df = _fitted(spark)
    df = df.withColumn("as_of", F.to_date(F.lit("2024-03-01")))
    keep = ["member_id", "as_of"]
    in_workers = score(model, df, keep)
    on_driver = score(model, df, keep, driver_rows=60)
    assert "MapInPandas" in _plan(in_workers, capsys)
    assert "MapInPandas" not in _plan(on_driver, capsys)
    assert on_driver.schema == in_workers.schema  # the date stays a date
    expected = in_workers.toPandas().sort_values("member_id").reset_index(drop=True)
    got = on_driver.toPandas().sort_values("member_id").reset_index(drop=True)
    assert got.equals(expected)
    # one row more than driver_rows: the Python workers score it
    assert "MapInPandas" in _plan(score(model, df, keep, driver_rows=59), capsys)
