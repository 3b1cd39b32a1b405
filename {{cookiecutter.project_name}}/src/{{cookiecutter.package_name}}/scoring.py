"""Scoring a registered model on Spark DataFrames: the same path for the gate and for inference.

Spark ML pipelines score natively (``transform``); single-node models score in a pandas UDF
(``mapInPandas``), so no Spark session is started inside a Python worker. A frame small enough
to collect (the gate's holdout, a date of at most ``inference.driver_rows`` entities) is scored on
the driver by the same function each batch runs (:func:`predicted`): no Python worker is started
and none imports the model's libraries, seconds saved on a batch the driver holds easily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from .features.definitions import model_definitions
from .model_inputs import Columns, model_frame, numeric_in_spark


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version, loaded, with what it needs as input."""

    name: str
    version: str
    run_id: str
    kind: str  # spark | sklearn
    model: Any
    columns: Columns
    uri: str
    definitions: str | None = None  # fingerprint of its feature groups' definitions
    groups: list[str] = field(default_factory=list)  # the feature groups it was trained on
    cohort: str = ""  # the cohort it was trained for (Population.tag); "": every row
    model_id: str = ""  # MLflow 3's id of the logged model ("": logged before it was recorded)

    @property
    def label(self) -> str:
        return f"{self.name} version {self.version}"


def feature_problems(model: LoadedModel, table: T.StructType, where: str) -> list[str]:
    """What stops ``model`` from scoring on ``table``: features gone, or retyped since training."""
    have = {f.name: f.dataType for f in table.fields}
    problems = []
    label = f"{model.name} version {model.version}"
    for name in model.columns.all:
        if name not in have:
            problems.append(f"{where}: has no column {name!r}, which {label} takes as input")
            continue
        numeric_now = numeric_in_spark(have[name])
        numeric_then = name in model.columns.numeric
        if numeric_now != numeric_then:
            then = "a number" if numeric_then else "a string"
            problems.append(
                f"{where}: column {name!r} is {have[name].simpleString()} now; {label} was trained "
                f"with it as {then}"
            )
    return problems


def definition_problems(model: LoadedModel, table_definitions: dict[str, str]) -> list[str]:
    """What stops ``model`` from scoring today's feature table although every column is there:
    its groups were defined otherwise when it was trained (a window, a filter, a function's
    code). A version that recorded no definitions is not checked."""
    if model.definitions is None:
        return []
    if model_definitions(table_definitions, model.groups) == model.definitions:
        return []
    return [
        f"{model.label} was trained on other definitions of its feature groups "
        f"({', '.join(model.groups)}) than the feature table holds"
    ]


def described(cohort: str) -> str:
    """A model's cohort (Population.tag; "": every row) in a sentence."""
    return f"cohort {cohort}" if cohort else "every row (no cohort)"


def cohort_problems(model: LoadedModel, wanted: str, selection_file: str) -> list[str]:
    """What stops ``model`` from serving the cart's population: it was trained for another
    cohort than ``wanted`` (Population.tag; "": every row) that ``selection_file`` asks for."""
    if model.cohort == wanted:
        return []
    return [
        f"{model.label} was trained for {described(model.cohort)}, and {selection_file} "
        f"(cohort:) now asks for {described(wanted)}"
    ]


def score(model: LoadedModel, df: DataFrame, keep: list[str], driver_rows: int = 0) -> DataFrame:
    """``keep`` columns of ``df`` with ``score``, the model's probability of the positive class.

    A single-node model scores ``df`` on the driver when it has at most ``driver_rows`` rows
    (0: never), in Python workers otherwise; the scores are the same either way."""
    if model.kind == "spark":
        from pyspark.ml.functions import vector_to_array

        scored = model.model.transform(df)
        return scored.select(*keep, vector_to_array("probability")[1].alias("score"))
    schema = df.select(*keep).schema.add("score", "double")
    if driver_rows > 0:  # at most driver_rows + 1 rows collected to find out
        frame = df.select(*inputs([model], keep)).limit(driver_rows + 1).toPandas()
        if len(frame) <= driver_rows:
            return df.sparkSession.createDataFrame(predicted(model, frame, keep), schema)

    def predict(batches):
        for batch in batches:
            yield predicted(model, batch, keep)

    return df.select(*inputs([model], keep)).mapInPandas(predict, schema)


def predicted(model: LoadedModel, frame: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """``keep`` columns of a pandas ``frame`` with ``score``, a single-node model's probability of
    the positive class: what each batch of :func:`score` computes."""
    out = frame[keep].copy()
    out["score"] = model.model.predict_proba(model_frame(frame, model.columns))[:, 1]
    return out


def inputs(models: list[LoadedModel], keep: list[str]) -> list[str]:
    """The columns scoring ``models`` reads: ``keep`` and every model's inputs, once each (a kept
    column may be an input too)."""
    return list(dict.fromkeys([*keep, *(c for model in models for c in model.columns.all)]))


def scored_here(
    models: dict[str, LoadedModel], df: DataFrame, keep: list[str]
) -> dict[str, pd.DataFrame]:
    """Each model's :func:`score` of the same rows, as pandas frames on the driver, for a small
    ``df`` (the gate's holdout): single-node models score the rows collected once, on the driver,
    with no Python worker to start; Spark ML models score in Spark."""
    here = [model for model in models.values() if model.kind != "spark"]
    frame = df.select(*inputs(here, keep)).toPandas() if here else None
    return {
        role: score(model, df, keep).toPandas()
        if model.kind == "spark"
        else predicted(model, frame, keep)
        for role, model in models.items()
    }
