"""The health-plan example's features on hand-made data: its Python aisles, its declared
utilisation aisle, and its supermarket, which holds exactly what its mappings declare."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.features import build
from {{ cookiecutter.package_name }}.features.aggregates import SPARK_TYPES, windowed
from {{ cookiecutter.package_name }}.features.functions import (
    AisleInputs,
    registered,
)
from {{ cookiecutter.package_name }}.features.health_plan import (
    clinical,
    demographics,
    enrolment,
)
from {{ cookiecutter.package_name }}.selection import load_cart

D = date(2025, 1, 1)  # the as-of date of the hand-made cases
KEY, AS_OF = ["member_id"], "as_of_date"


def events(spark, rows):
    return spark.createDataFrame(
        rows, "member_id string, event_date date, event_type string, code string"
    )


def spine(spark):
    return spark.createDataFrame([("A", D)], "member_id string, as_of_date date")


MEMBERS = [("A", date(1960, 1, 2), "F", "commercial", 0.5, True)]
MEMBER_SCHEMA = (
    "member_id string, birth_date date, sex string, plan_type string, "
    "deprivation_index double, rural boolean"
)
SPANS = [("A", date(2023, 1, 1), date(2023, 6, 30)), ("A", date(2024, 1, 1), date(2025, 12, 31))]


def inputs(spark, params=None, **sources) -> AisleInputs:
    return AisleInputs(spine(spark), sources, KEY, AS_OF, params or {})


def one(df) -> dict:
    [row] = df.collect()
    return row.asDict()


def test_utilisation_as_declared_counts_windows_and_never_the_future(spark, conf_dir) -> None:
    rows = [
        ("A", date(2024, 1, 2), "admission", "unplanned"),  # 365 days before D: outside (d-365, d]
        ("A", date(2024, 1, 3), "admission", "elective"),  # 364 days before: inside
        ("A", date(2024, 10, 1), "ed_visit", "ed"),  # inside 365, outside 90
        ("A", date(2024, 12, 1), "ed_visit", "ed"),  # inside 90
        ("A", D, "admission", "unplanned"),  # on the as-of date: counts
        ("A", date(2025, 1, 2), "admission", "unplanned"),  # the day after: never
        ("A", date(2025, 1, 2), "ed_visit", "ed"),  # the day after: never
    ]
    settings = load_settings("local", conf_dir)
    group = load_cart(settings).mappings.groups["utilisation"]
    row = one(windowed(spine(spark), events(spark, rows), KEY, AS_OF, "event_date", group.features))
    assert row["admissions_365d"] == 2
    assert row["ed_visits_365d"] == 2
    assert row["ed_visits_90d"] == 1
    assert row["days_since_last_admission"] == 0


def test_clinical_flags_only_conditions_diagnosed_by_the_date(spark) -> None:
    rows = [
        ("A", date(2023, 5, 1), "diagnosis", "CHF"),
        ("A", date(2024, 6, 1), "diagnosis", "CHF"),  # same condition again: still one
        ("A", date(2024, 7, 1), "diagnosis", "HTN"),
        ("A", date(2025, 2, 1), "diagnosis", "COPD"),  # after the as-of date: not yet known
        ("A", date(2024, 7, 1), "diagnosis", "FLU"),  # not chronic
        ("A", date(2024, 10, 3), "prescription", "ACE"),  # 90 days before D: outside (d-90, d]
        ("A", date(2024, 10, 4), "prescription", "ACE"),
        ("A", date(2025, 1, 1), "prescription", "SSRI"),
        ("A", date(2025, 1, 5), "prescription", "SSRI"),  # after: never
    ]
    params = {
        "chronic_codes": ["CHF", "COPD", "HTN"],
        "flags": {"has_heart_failure": "CHF", "has_copd": "COPD"},
    }
    row = one(clinical(inputs(spark, params, events=events(spark, rows))))
    assert row["chronic_condition_count"] == 2
    assert (row["has_heart_failure"], row["has_copd"]) == (True, False)
    assert row["rx_fills_90d"] == 2


def test_demographics_and_enrolment(spark) -> None:
    members = spark.createDataFrame(MEMBERS, MEMBER_SCHEMA)
    spans = spark.createDataFrame(SPANS, "member_id string, start_date date, end_date date")
    assert one(demographics(inputs(spark, members=members)))["age"] == 64  # 65 on 2025-01-02
    row = one(enrolment(inputs(spark, members=members, eligibility=spans)))
    assert (row["plan_type"], row["months_enrolled"]) == ("commercial", 12)  # the span of 2024


def test_the_supermarket_holds_exactly_the_mapped_features(spark, conf_dir: Path) -> None:
    settings = load_settings("local", conf_dir)
    cart = load_cart(settings)
    schemas = {
        name: ", ".join(f"{c} {SPARK_TYPES[col.type]}" for c, col in spec.columns.items())
        for name, spec in settings.sources.items()
    }
    tables = {name: spark.createDataFrame([], schema) for name, schema in schemas.items()}
    table = build(spine(spark), tables, settings, cart.mappings, registered(), "mappings")
    declared = {
        f: SPARK_TYPES[spec.type]
        for group in cart.mappings.groups.values()
        for f, spec in group.features.items()
    }
    assert dict(table.dtypes) == {"member_id": "string", "as_of_date": "date", **declared}
