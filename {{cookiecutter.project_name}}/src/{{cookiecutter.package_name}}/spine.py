"""The rows a model learns from: one per labelled entity and as-of date."""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .config import Settings


def labelled(labels: DataFrame, settings: Settings, latest: date | None) -> DataFrame:
    """(entity key, as-of date, label) from the label source (its key columns already named as
    the entity's). A row's as-of date is its time column; in a source without one, every row is
    as of ``latest``, the feature table's newest snapshot."""
    spec, entity = settings.sources[settings.label.source], settings.entity
    as_of = F.col(spec.time) if spec.time else F.lit(latest).cast("date")
    return labels.select(
        *entity.key,
        as_of.alias(entity.as_of),
        F.col(settings.label.column).cast("int").alias("label"),
    )
