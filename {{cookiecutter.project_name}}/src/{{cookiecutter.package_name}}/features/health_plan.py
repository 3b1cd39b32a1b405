"""The health-plan example's feature functions: what its YAML declarations cannot say.

Each is registered by name with ``@aisle`` and named by a group of conf/feature_mappings.yml
(``python: demographics``). They read the example's sources (members, eligibility, events), so
their column names are the example's; the key and as-of columns come from ``inputs``.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .functions import AisleInputs, aisle
from .snapshots import within_days


@aisle("demographics")
def demographics(inputs: AisleInputs) -> DataFrame:
    """age (whole years on the as-of date) and sex."""
    members = inputs.sources["members"]
    return inputs.spine.join(members, inputs.key).select(
        *inputs.keys,
        F.floor(F.months_between(inputs.as_of, "birth_date") / 12).cast("int").alias("age"),
        "sex",
    )


@aisle("enrolment")
def enrolment(inputs: AisleInputs) -> DataFrame:
    """plan_type, and months_enrolled: whole months since the start of the eligibility span
    that holds the as-of date (the earliest, when spans overlap)."""
    spans = inputs.sources["eligibility"]
    since = (
        inputs.spine.join(spans, inputs.key)
        .where(F.col(inputs.as_of).between(F.col("start_date"), F.col("end_date")))
        .groupBy(*inputs.keys)
        .agg(F.min("start_date").alias("eligible_since"))
    )
    members = inputs.sources["members"].select(*inputs.key, "plan_type")
    return (
        inputs.spine.join(members, inputs.key, "left")
        .join(since, inputs.keys, "left")
        .select(
            *inputs.keys,
            "plan_type",
            F.floor(F.months_between(inputs.as_of, "eligible_since"))
            .cast("int")
            .alias("months_enrolled"),
        )
    )


@aisle("clinical")
def clinical(inputs: AisleInputs) -> DataFrame:
    """Chronic conditions diagnosed on or before the as-of date (``params.chronic_codes``; a
    flag per ``params.flags`` entry: feature name -> code), and prescriptions filled in the 90
    days up to it."""
    events, keys, as_of = inputs.sources["events"], inputs.keys, inputs.as_of
    codes, flags = inputs.params["chronic_codes"], inputs.params["flags"]
    first_diagnosed = (
        events.where((F.col("event_type") == "diagnosis") & F.col("code").isin(*codes))
        .groupBy(*inputs.key, "code")
        .agg(F.min("event_date").alias("first_date"))
    )
    conditions = (
        inputs.spine.join(first_diagnosed, inputs.key)
        .where(F.col("first_date") <= F.col(as_of))
        .groupBy(*keys)
        .agg(
            F.countDistinct("code").alias("chronic_condition_count"),
            *[F.max(F.col("code") == code).alias(flag) for flag, code in flags.items()],
        )
    )
    dates = inputs.spine.select(as_of).distinct()
    fills = (
        events.where(F.col("event_type") == "prescription")
        .join(F.broadcast(dates), within_days("event_date", as_of, 90))
        .groupBy(*keys)
        .agg(F.count("*").alias("rx_fills_90d"))
    )
    return (
        inputs.spine.join(conditions, keys, "left")
        .join(fills, keys, "left")
        .select(
            *keys,
            F.coalesce("chronic_condition_count", F.lit(0))
            .cast("int")
            .alias("chronic_condition_count"),
            *[F.coalesce(F.col(flag), F.lit(False)).alias(flag) for flag in flags],
            F.coalesce("rx_fills_90d", F.lit(0)).cast("int").alias("rx_fills_90d"),
        )
    )
