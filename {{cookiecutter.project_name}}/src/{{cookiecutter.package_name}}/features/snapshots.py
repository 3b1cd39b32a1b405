"""As-of dates: which snapshots exist, which a run must (re)compute, and who is in each."""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def snapshot_dates(first: date, last: date, every: str) -> list[date]:
    """Snapshot dates from ``first`` up to ``last``: every week, or every month on first's day
    (a day after the 28th becomes the 28th, so that every month has it)."""
    dates, current, step = [], first, 0
    while current <= last:
        dates.append(current)
        step += 1
        if every == "week":
            current = first + timedelta(weeks=step)
        else:
            month = first.month - 1 + step
            current = date(first.year + month // 12, month % 12 + 1, min(first.day, 28))
    return dates


def dates_to_process(dates: list[date], watermark: date | None, lookback_days: int) -> list[date]:
    """The snapshots a run over changed inputs must compute: all on the first run; otherwise
    those after the watermark, and those within the look-back before it (late data)."""
    if watermark is None:
        return list(dates)
    since = watermark - timedelta(days=lookback_days)
    return [d for d in dates if d > since]


def eligible_snapshots(spark: SparkSession, eligibility: DataFrame, dates: list[date]) -> DataFrame:
    """(member_id, as_of_date, eligible_since) for every member eligible on each date."""
    grid = spark.createDataFrame([(d,) for d in dates], "as_of_date date")
    return (
        eligibility.join(
            F.broadcast(grid),
            F.col("as_of_date").between(F.col("start_date"), F.col("end_date")),
        )
        .groupBy("member_id", "as_of_date")
        .agg(F.min("start_date").alias("eligible_since"))
    )


def events_in_window(events: DataFrame, snapshots: DataFrame, days: int) -> DataFrame:
    """Each event paired with the as-of dates it precedes by less than ``days`` (same day counts).

    Nothing after an as-of date is ever paired with it: features cannot see the future.
    """
    dates = snapshots.select("as_of_date").distinct()
    return events.join(
        F.broadcast(dates),
        (F.col("event_date") <= F.col("as_of_date"))
        & (F.col("event_date") > F.date_sub(F.col("as_of_date"), days)),
    )
