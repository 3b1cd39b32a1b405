"""Raw data in the pipeline's own column names, from the declared sources.

A source is read as it is (see ``adapters.tables.read_source``) and its columns are renamed as
its declaration says; types are checked later, by validation. The synthetic health plan is a
source format of its own, for running everything with no real data.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .config import SourceSpec, SyntheticSource
from .synthetic import generate


def to_our_names(df: DataFrame, spec: SourceSpec) -> DataFrame:
    """The source's columns renamed to ours, as ``columns.<ours>.from`` says; others unchanged."""
    for ours in spec.columns:
        theirs = spec.their_name(ours)
        if theirs != ours and theirs in df.columns:
            df = df.withColumnRenamed(theirs, ours)
    return df


def synthetic_tables(spark: SparkSession, spec: SyntheticSource) -> dict[str, DataFrame]:
    """The synthetic health plan's tables as Spark DataFrames, by table name."""
    tables = {}
    for name, frame in generate(spec).items():
        dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
        df = spark.createDataFrame(frame)
        tables[name] = df.select(
            *[F.col(c).cast("date").alias(c) if c in dates else F.col(c) for c in df.columns]
        )
    return tables
