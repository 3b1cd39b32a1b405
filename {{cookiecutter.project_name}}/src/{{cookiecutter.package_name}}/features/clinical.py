"""Diagnoses and prescriptions before the as-of date."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .snapshots import events_in_window

# Diagnosis codes of chronic conditions, as the sources code them (the synthetic source uses
# these short codes; map your own code system onto them, or change them here).
CHRONIC = ("CHF", "COPD", "CKD", "DIAB", "HTN", "DEPR", "ASTHMA")
FLAGS = {"has_heart_failure": "CHF", "has_copd": "COPD", "has_diabetes": "DIAB"}


def clinical(snapshots: DataFrame, events: DataFrame) -> DataFrame:
    """Chronic conditions diagnosed on or before the as-of date, and prescriptions filled in
    the 90 days up to it."""
    keys = snapshots.select("member_id", "as_of_date")
    first_diagnosed = (
        events.where((F.col("event_type") == "diagnosis") & F.col("code").isin(*CHRONIC))
        .groupBy("member_id", "code")
        .agg(F.min("event_date").alias("first_date"))
    )
    conditions = (
        keys.join(first_diagnosed, "member_id")
        .where(F.col("first_date") <= F.col("as_of_date"))
        .groupBy("member_id", "as_of_date")
        .agg(
            F.countDistinct("code").alias("chronic_condition_count"),
            *[F.max(F.col("code") == code).alias(flag) for flag, code in FLAGS.items()],
        )
    )
    fills = (
        events_in_window(events.where(F.col("event_type") == "prescription"), snapshots, 90)
        .groupBy("member_id", "as_of_date")
        .agg(F.count("*").alias("rx_fills_90d"))
    )
    return (
        keys.join(conditions, ["member_id", "as_of_date"], "left")
        .join(fills, ["member_id", "as_of_date"], "left")
        .select(
            "member_id",
            "as_of_date",
            F.coalesce("chronic_condition_count", F.lit(0))
            .cast("int")
            .alias("chronic_condition_count"),
            *[F.coalesce(F.col(flag), F.lit(False)).alias(flag) for flag in FLAGS],
            F.coalesce("rx_fills_90d", F.lit(0)).cast("int").alias("rx_fills_90d"),
        )
    )
