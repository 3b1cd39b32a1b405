"""Area-level attributes of where the member lives."""

from __future__ import annotations

from pyspark.sql import DataFrame


def socioeconomic(snapshots: DataFrame, members: DataFrame) -> DataFrame:
    """deprivation_index and rural, per (member_id, as_of_date)."""
    return snapshots.join(members, "member_id").select(
        "member_id", "as_of_date", "deprivation_index", "rural"
    )
