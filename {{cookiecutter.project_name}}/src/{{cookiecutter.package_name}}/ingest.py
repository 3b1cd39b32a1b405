"""Raw data in the pipeline's own column names: from the synthetic generator or from sources.

The contract every source meets after renaming is ``SCHEMAS``; validation checks it.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .config import SourceTable, SyntheticSource
from .synthetic import generate

SCHEMAS: dict[str, dict[str, str]] = {
    "members": {
        "member_id": "string",
        "birth_date": "date",
        "sex": "string",
        "plan_type": "string",
        "deprivation_index": "double",
        "rural": "boolean",
    },
    "eligibility": {"member_id": "string", "start_date": "date", "end_date": "date"},
    "events": {
        "member_id": "string",
        "event_date": "date",
        "event_type": "string",
        "code": "string",
    },
    "labels": {"member_id": "string", "as_of_date": "date", "label": "int"},
}


def to_our_names(df: DataFrame, spec: SourceTable) -> DataFrame:
    """The source's columns renamed to ours, as ``columns`` maps them; others kept as they are."""
    for ours, theirs in spec.columns.items():
        if theirs in df.columns and ours != theirs:
            df = df.withColumnRenamed(theirs, ours)
    return df


def synthetic_tables(spark: SparkSession, spec: SyntheticSource) -> dict[str, DataFrame]:
    """The synthetic health plan as Spark DataFrames with the contract's types."""
    tables = {}
    for name, frame in generate(spec).items():
        df = spark.createDataFrame(frame)
        tables[name] = df.select(*[F.col(c).cast(t).alias(c) for c, t in SCHEMAS[name].items()])
    return tables
