"""Point-in-time lookup: features as they were known on each row's as-of date."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def as_of_join(
    spine: DataFrame,
    table: DataFrame,
    features: list[str],
    key: list[str],
    as_of: str,
    table_time: str | None = None,
    max_staleness_days: int | None = None,
) -> DataFrame:
    """Every ``spine`` row (``key`` columns, ``as_of``, ...) with ``features`` from the latest
    ``table`` row of the same entity dated (``table_time``, default ``as_of``) on or before its
    as-of date; never a later one.

    Spine rows with no such row (or only one older than ``max_staleness_days``) keep empty
    features, as Databricks' FeatureLookup does.
    """
    table_time = table_time or as_of
    row_id, found_time = "__spine_row", "__feature_time"
    renamed = {k: f"__key_{i}" for i, k in enumerate(key)}
    found = table.select(
        *[F.col(k).alias(v) for k, v in renamed.items()],
        F.col(table_time).alias(found_time),
        *features,
    )
    rows = spine.withColumn(row_id, F.monotonically_increasing_id())
    condition = F.col(found_time) <= F.col(as_of)
    for k, v in renamed.items():
        condition &= F.col(k) == F.col(v)
    if max_staleness_days is not None:
        condition &= F.col(found_time) > F.date_sub(as_of, max_staleness_days + 1)
    latest = Window.partitionBy(row_id).orderBy(F.col(found_time).desc_nulls_last())
    return (
        rows.join(found, condition, "left")
        .withColumn("__rank", F.row_number().over(latest))
        .where("__rank = 1")
        .drop(row_id, "__rank", found_time, *renamed.values())
    )
