"""The feature aisles and the supermarket that stacks them.

Each aisle is a pure function from the snapshot grid (member_id, as_of_date, eligible_since)
and clean tables to one row per snapshot with its features. The supermarket joins them all on
(member_id, as_of_date); its columns are exactly the features of conf/feature_mappings.yml.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from .clinical import clinical
from .demographics import demographics
from .enrolment import enrolment
from .socioeconomic import socioeconomic
from .utilisation import utilisation

KEYS = ["member_id", "as_of_date"]


def supermarket(snapshots: DataFrame, members: DataFrame, events: DataFrame) -> DataFrame:
    """Every aisle for every snapshot, one row per (member_id, as_of_date)."""
    aisles = [
        demographics(snapshots, members),
        enrolment(snapshots, members),
        utilisation(snapshots, events),
        clinical(snapshots, events),
        socioeconomic(snapshots, members),
    ]
    stacked = snapshots.select(*KEYS)
    for aisle in aisles:
        stacked = stacked.join(aisle, KEYS, "left")
    return stacked
