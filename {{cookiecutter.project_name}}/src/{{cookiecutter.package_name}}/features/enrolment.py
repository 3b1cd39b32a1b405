"""The member's plan and how long they have been in it."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def enrolment(snapshots: DataFrame, members: DataFrame) -> DataFrame:
    """plan_type and months_enrolled (whole months of the eligibility span holding the date)."""
    return snapshots.join(members, "member_id").select(
        "member_id",
        "as_of_date",
        "plan_type",
        F.floor(F.months_between("as_of_date", "eligible_since"))
        .cast("int")
        .alias("months_enrolled"),
    )
