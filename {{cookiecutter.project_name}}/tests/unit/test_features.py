"""Feature aisles on hand-made data: windows, edges, and nothing from after the as-of date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.features import supermarket
from {{ cookiecutter.package_name }}.features.clinical import clinical
from {{ cookiecutter.package_name }}.features.demographics import demographics
from {{ cookiecutter.package_name }}.features.enrolment import enrolment
from {{ cookiecutter.package_name }}.features.snapshots import (
    dates_to_process,
    eligible_snapshots,
    snapshot_dates,
)
from {{ cookiecutter.package_name }}.features.utilisation import utilisation
from {{ cookiecutter.package_name }}.selection import (
    FeatureMappings,
    load_model,
)

D = date(2025, 1, 1)  # the as-of date of the hand-made cases


def events(spark, rows):
    return spark.createDataFrame(
        rows, "member_id string, event_date date, event_type string, code string"
    )


def snapshots(spark, rows=(("A", D, date(2024, 1, 1)),)):
    return spark.createDataFrame(
        list(rows), "member_id string, as_of_date date, eligible_since date"
    )


MEMBERS = [("A", date(1960, 1, 2), "F", "commercial", 0.5, True)]
MEMBER_SCHEMA = "member_id string, birth_date date, sex string, plan_type string, deprivation_index double, rural boolean"


def one(df) -> dict:
    [row] = df.collect()
    return row.asDict()


def test_utilisation_counts_windows_and_never_the_future(spark) -> None:
    rows = [
        ("A", date(2024, 1, 2), "admission", "unplanned"),  # 365 days before D: outside (d-365, d]
        ("A", date(2024, 1, 3), "admission", "elective"),  # 364 days before: inside
        ("A", date(2024, 10, 1), "ed_visit", "ed"),  # inside 365, outside 90
        ("A", date(2024, 12, 1), "ed_visit", "ed"),  # inside 90
        ("A", D, "admission", "unplanned"),  # on the as-of date: counts
        ("A", date(2025, 1, 2), "admission", "unplanned"),  # the day after: never
        ("A", date(2025, 1, 2), "ed_visit", "ed"),  # the day after: never
    ]
    row = one(utilisation(snapshots(spark), events(spark, rows)))
    assert row["admissions_365d"] == 2
    assert row["ed_visits_365d"] == 2
    assert row["ed_visits_90d"] == 1
    assert row["days_since_last_admission"] == 0


def test_utilisation_of_a_member_without_events(spark) -> None:
    row = one(utilisation(snapshots(spark), events(spark, [])))
    assert (row["admissions_365d"], row["ed_visits_90d"], row["days_since_last_admission"]) == (
        0,
        0,
        None,
    )


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
    row = one(clinical(snapshots(spark), events(spark, rows)))
    assert row["chronic_condition_count"] == 2
    assert (row["has_heart_failure"], row["has_copd"], row["has_diabetes"]) == (True, False, False)
    assert row["rx_fills_90d"] == 2


def test_demographics_and_enrolment(spark) -> None:
    members = spark.createDataFrame(MEMBERS, MEMBER_SCHEMA)
    assert one(demographics(snapshots(spark), members))["age"] == 64  # 65 on 2025-01-02
    row = one(enrolment(snapshots(spark), members))
    assert (row["plan_type"], row["months_enrolled"]) == ("commercial", 12)


def test_snapshots_hold_only_eligible_members(spark) -> None:
    spans = spark.createDataFrame(
        [("A", date(2024, 1, 1), date(2024, 3, 15)), ("A", date(2024, 5, 1), date(2024, 12, 31))],
        "member_id string, start_date date, end_date date",
    )
    dates = snapshot_dates(date(2024, 1, 1), date(2024, 6, 1), "month")
    got = sorted(
        (r.as_of_date, r.eligible_since) for r in eligible_snapshots(spark, spans, dates).collect()
    )
    assert got == [
        (date(2024, 1, 1), date(2024, 1, 1)),
        (date(2024, 2, 1), date(2024, 1, 1)),
        (date(2024, 3, 1), date(2024, 1, 1)),
        (date(2024, 5, 1), date(2024, 5, 1)),  # April falls in the gap
        (date(2024, 6, 1), date(2024, 5, 1)),
    ]


def test_supermarket_holds_exactly_the_mapped_features(spark, conf_dir: Path) -> None:
    members = spark.createDataFrame(MEMBERS, MEMBER_SCHEMA)
    table = supermarket(snapshots(spark), members, events(spark, []))
    mappings = load_model(FeatureMappings, load_settings("local", conf_dir).features.mappings)
    mapped = {f for group in mappings.groups.values() for f in group.features}
    assert set(table.columns) == mapped
    types = {
        "integer": "int",
        "double": "double",
        "string": "string",
        "boolean": "boolean",
        "date": "date",
    }
    declared = {
        f: types[spec.type] for g in mappings.groups.values() for f, spec in g.features.items()
    }
    assert dict(table.dtypes) == declared


@pytest.mark.parametrize(
    ("every", "expected"),
    [
        ("month", [date(2024, 1, 31), date(2024, 2, 28), date(2024, 3, 28)]),
        ("week", [date(2024, 1, 31), date(2024, 2, 7), date(2024, 2, 14)]),
    ],
)
def test_snapshot_dates(every: str, expected: list[date]) -> None:
    assert snapshot_dates(date(2024, 1, 31), expected[-1], every) == expected


def test_dates_to_process() -> None:
    dates = snapshot_dates(date(2024, 1, 1), date(2024, 6, 1), "month")
    assert dates_to_process(dates, None, 31) == dates  # first run: all
    assert dates_to_process(dates, date(2024, 6, 1), 0) == []  # new data, but no new date
    assert dates_to_process(dates, date(2024, 4, 1), 0) == dates[4:]  # after the watermark
    assert dates_to_process(dates, date(2024, 4, 1), 31) == dates[3:]  # + late data's window
