"""The as-of lookup: the latest features on or before each date, never later ones."""

from __future__ import annotations

from datetime import date

from {{ cookiecutter.package_name }}.features.lookup import as_of_join

SNAPSHOTS = [  # member, as-of date, feature value
    ("A", date(2024, 1, 1), 1),
    ("A", date(2024, 2, 1), 2),
    ("A", date(2024, 3, 1), 3),
    ("B", date(2024, 2, 1), 20),
]


def lookup(spark, spine_rows, max_staleness_days=None) -> dict:
    table = spark.createDataFrame(SNAPSHOTS, "member_id string, as_of_date date, x int")
    spine = spark.createDataFrame(spine_rows, "member_id string, as_of_date date, label int")
    joined = as_of_join(spine, table, ["x"], ["member_id"], "as_of_date", None, max_staleness_days)
    assert joined.columns == ["member_id", "as_of_date", "label", "x"]
    return {(r.member_id, r.as_of_date): r.x for r in joined.collect()}


def test_between_snapshots_takes_the_earlier_one_never_the_later(spark) -> None:
    # 2024-02-20 lies between the February and March snapshots: March would leak the future.
    assert lookup(spark, [("A", date(2024, 2, 20), 0)]) == {("A", date(2024, 2, 20)): 2}


def test_on_a_snapshot_date_takes_that_snapshot(spark) -> None:
    assert lookup(spark, [("A", date(2024, 3, 1), 0)]) == {("A", date(2024, 3, 1)): 3}


def test_before_the_first_snapshot_finds_nothing_but_keeps_the_row(spark) -> None:
    assert lookup(spark, [("A", date(2023, 12, 31), 1)]) == {("A", date(2023, 12, 31)): None}


def test_other_members_snapshots_are_never_used(spark) -> None:
    got = lookup(spark, [("B", date(2024, 1, 15), 0), ("C", date(2024, 3, 1), 0)])
    assert got == {("B", date(2024, 1, 15)): None, ("C", date(2024, 3, 1)): None}


def test_every_spine_row_is_kept_once(spark) -> None:
    rows = [("A", date(2024, 1, 10), 0), ("A", date(2024, 2, 10), 1), ("B", date(2024, 6, 1), 0)]
    got = lookup(spark, rows)
    assert got == {
        ("A", date(2024, 1, 10)): 1,
        ("A", date(2024, 2, 10)): 2,
        ("B", date(2024, 6, 1)): 20,
    }


def test_staleness_limit(spark) -> None:
    rows = [("A", date(2024, 3, 20), 0), ("B", date(2024, 6, 1), 0)]
    assert lookup(spark, rows, max_staleness_days=30) == {
        ("A", date(2024, 3, 20)): 3,
        ("B", date(2024, 6, 1)): None,
    }


def test_any_key_and_another_time_column(spark) -> None:
    table = spark.createDataFrame(
        [
            ("s", 1, date(2024, 1, 1), 10),
            ("s", 2, date(2024, 1, 1), 20),
            ("s", 1, date(2024, 3, 1), 30),
        ],
        "shop string, till int, valid date, x int",
    )
    spine = spark.createDataFrame(
        [("s", 1, date(2024, 2, 1)), ("s", 2, date(2024, 2, 1))], "shop string, till int, on date"
    )
    joined = as_of_join(spine, table, ["x"], ["shop", "till"], "on", "valid")
    assert joined.columns == ["shop", "till", "on", "x"]
    assert {(r.till, r.x) for r in joined.collect()} == {(1, 10), (2, 20)}
