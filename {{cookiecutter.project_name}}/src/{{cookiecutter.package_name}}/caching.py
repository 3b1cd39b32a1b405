"""Caching DataFrames where the session can: a classic session always; a Spark Connect session
(serverless compute) only where it offers caching (serverless environment 5 and later).

Caching here is for speed only: every cached result is deterministic, so a session that
refuses to cache computes the same rows again instead.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession


def is_connect(session) -> bool:
    """Whether ``session`` is a Spark Connect client (serverless compute, Databricks Connect)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def cached(df: DataFrame) -> DataFrame:
    """``df`` cached; as it is where a Spark Connect session refuses to cache."""
    if not is_connect(df.sparkSession):
        return df.cache()
    try:
        return df.cache()
    except Exception:  # NOT_SUPPORTED_WITH_SERVERLESS and the like: compute it again instead
        return df


def uncache(df: DataFrame) -> None:
    """Drop what `cached` kept of ``df``."""
    if df.is_cached:
        df.unpersist()


def clear(spark: SparkSession) -> None:
    """Drop every cached DataFrame of the session (steps hand data on through tables only)."""
    try:
        spark.catalog.clearCache()
    except Exception:
        if not is_connect(spark):
            raise
