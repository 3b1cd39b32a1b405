"""Who the member is on the as-of date."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def demographics(snapshots: DataFrame, members: DataFrame) -> DataFrame:
    """age (whole years on the as-of date) and sex, per (member_id, as_of_date)."""
    return snapshots.join(members, "member_id").select(
        "member_id",
        "as_of_date",
        F.floor(F.months_between("as_of_date", "birth_date") / 12).cast("int").alias("age"),
        "sex",
    )
