"""Point-in-time lookup: features as they were known on each row's as-of date."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def as_of_join(
    spine: DataFrame,
    table: DataFrame,
    features: list[str],
    max_staleness_days: int | None = None,
) -> DataFrame:
    """Every spine row (member_id, as_of_date, ...) with ``features`` from the latest table row
    of the same member dated on or before its as-of date; never a later one.

    Spine rows with no such row (or only one older than ``max_staleness_days``) keep empty
    features, as Databricks' FeatureLookup does.
    """
    row_id = "__spine_row"
    found = table.select(
        F.col("member_id").alias("__member"), F.col("as_of_date").alias("__feature_date"), *features
    )
    rows = spine.withColumn(row_id, F.monotonically_increasing_id())
    condition = (F.col("member_id") == F.col("__member")) & (
        F.col("__feature_date") <= F.col("as_of_date")
    )
    if max_staleness_days is not None:
        condition &= F.col("__feature_date") > F.date_sub("as_of_date", max_staleness_days + 1)
    latest = Window.partitionBy(row_id).orderBy(F.col("__feature_date").desc_nulls_last())
    return (
        rows.join(found, condition, "left")
        .withColumn("__rank", F.row_number().over(latest))
        .where("__rank = 1")
        .drop(row_id, "__rank", "__member", "__feature_date")
    )
