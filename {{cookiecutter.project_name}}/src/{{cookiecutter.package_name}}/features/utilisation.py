"""Use of care before the as-of date: admissions and emergency visits."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .snapshots import events_in_window

COUNTS = ["admissions_365d", "ed_visits_90d", "ed_visits_365d"]


def utilisation(snapshots: DataFrame, events: DataFrame) -> DataFrame:
    """Counts of admissions and ED visits in look-back windows, and days since the last
    admission (empty when there was none in the last 365 days)."""
    care = events.where(F.col("event_type").isin("admission", "ed_visit"))
    pairs = events_in_window(care, snapshots, 365)
    admission = F.col("event_type") == "admission"
    ed = F.col("event_type") == "ed_visit"
    recent = F.col("event_date") > F.date_sub("as_of_date", 90)
    counts = pairs.groupBy("member_id", "as_of_date").agg(
        F.count(F.when(admission, 1)).alias("admissions_365d"),
        F.count(F.when(ed & recent, 1)).alias("ed_visits_90d"),
        F.count(F.when(ed, 1)).alias("ed_visits_365d"),
        F.max(F.when(admission, F.col("event_date"))).alias("last_admission"),
    )
    return (
        snapshots.select("member_id", "as_of_date")
        .join(counts, ["member_id", "as_of_date"], "left")
        .select(
            "member_id",
            "as_of_date",
            *[F.coalesce(F.col(c), F.lit(0)).cast("int").alias(c) for c in COUNTS],
            F.datediff("as_of_date", "last_admission").alias("days_since_last_admission"),
        )
    )
