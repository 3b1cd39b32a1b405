"""Incremental features: a run computes only the snapshots new or late data can change."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from {{ cookiecutter.package_name }}.config import load_settings
from {{ cookiecutter.package_name }}.context import Platform
from {{ cookiecutter.package_name }}.pipeline import preflight
from {{ cookiecutter.package_name }}.tasks.data import features
from {{ cookiecutter.package_name }}.validation import fingerprint

from conftest import PROJECT_ROOT, add_env

MEMBERS = [("A", date(1960, 1, 1), "F", "commercial", 0.5, False)]
SPANS = [("A", date(2024, 1, 1), date(2024, 12, 31))]
EVENTS = [
    ("A", date(2024, 1, 10), "ed_visit", "ed"),
    ("A", date(2024, 5, 20), "ed_visit", "ed"),
]
SCHEMAS = {
    "members": "member_id string, birth_date date, sex string, plan_type string, deprivation_index double, rural boolean",
    "eligibility": "member_id string, start_date date, end_date date",
    "events": "member_id string, event_date date, event_type string, code string",
}


@pytest.fixture
def platform(spark, tmp_path):
    shutil.copytree(PROJECT_ROOT / "conf", tmp_path / "conf")
    add_env(
        tmp_path / "conf",
        "inc",
        {"features": {"first_snapshot": "2024-01-01", "lookback_days": 20}},
    )
    settings = load_settings("inc", tmp_path / "conf")
    p = Platform(settings, preflight(settings))
    p.spark = spark  # the test session; Platform would build an equal one
    return p


def put(p: Platform, name: str, rows: list) -> None:
    df = p.spark.createDataFrame(rows, SCHEMAS[name])
    p.tables.write(df, name, {"fingerprint": fingerprint(df)})


def partitions(p: Platform) -> dict[str, int]:
    table = p.tables.path(p.settings.features.table)
    return {d.name: d.stat().st_ino for d in table.iterdir() if d.name.startswith("as_of_date=")}


def ed_visits_90d(p: Platform) -> dict[date, int]:
    return {r.as_of_date: r.ed_visits_90d for r in p.store.read().collect()}


def test_first_run_computes_all_then_nothing_then_only_what_late_data_touches(
    platform, capsys
) -> None:
    p = platform
    put(p, "members", MEMBERS)
    put(p, "eligibility", SPANS)
    put(p, "events", EVENTS)
    features(p)
    first = partitions(p)
    assert len(first) == 5  # 2024-01-01 .. 2024-05-01: the last event is on 2024-05-20
    assert p.store.state()["watermark"] == "2024-05-01"

    features(p)  # same data
    assert "nothing processed" in capsys.readouterr().out
    assert partitions(p) == first

    # Late data: an ED visit dated in May arrives, and a visit in July extends the data.
    late = [("A", date(2024, 5, 25), "ed_visit", "ed"), ("A", date(2024, 7, 3), "ed_visit", "ed")]
    put(p, "events", [*EVENTS, *late])
    features(p)
    after = partitions(p)
    redone = {name for name in after if after[name] != first.get(name)}
    # Watermark 2024-05-01 less 20 days of look-back: May again, then the new June and July.
    assert redone == {"as_of_date=2024-05-01", "as_of_date=2024-06-01", "as_of_date=2024-07-01"}
    assert p.store.state()["watermark"] == "2024-07-01"
    visits = ed_visits_90d(p)
    assert visits[date(2024, 4, 1)] == 1  # (Jan 2, Apr 1]: the January visit; untouched
    assert visits[date(2024, 6, 1)] == 2  # (Mar 3, Jun 1]: May 20 and the late May 25
    assert visits[date(2024, 7, 1)] == 2  # the July 3 visit is after July 1: not yet
