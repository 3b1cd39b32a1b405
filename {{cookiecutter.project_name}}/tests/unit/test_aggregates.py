"""Declared features on hand-made data: windowed aggregates (every agg, filters, windows, the
as-of edge) and source columns looked up as of each date, with any entity key."""

from __future__ import annotations

from datetime import date

import pytest

from {{ cookiecutter.package_name }}.features.aggregates import looked_up, windowed
from {{ cookiecutter.package_name }}.mappings import Feature

D = date(2025, 1, 1)  # the as-of date of the hand-made cases
KEY, AS_OF = ["shop", "till"], "on"  # a composite key and an as-of column of another name


def feature(type_: str, agg: str | None = None, **fields) -> Feature:
    return Feature.model_validate({"type": type_, "description": "x", "agg": agg, **fields})


def spine(spark, rows=(("s1", 1, D),)):
    return spark.createDataFrame(list(rows), "shop string, till int, on date")


def sales(spark, rows):
    return spark.createDataFrame(
        rows, "shop string, till int, sold date, kind string, amount double"
    )


def one(df) -> dict:
    [row] = df.collect()
    return row.asDict()


ROWS = [
    ("s1", 1, date(2024, 1, 2), "card", 10.0),  # 365 days before D: outside (D-365, D]
    ("s1", 1, date(2024, 1, 3), "cash", 20.0),  # 364 days before: inside
    ("s1", 1, date(2024, 12, 1), "card", 5.0),  # inside 90
    ("s1", 1, D, "card", None),  # on the as-of date: counts; no amount
    ("s1", 1, date(2025, 1, 2), "card", 1000.0),  # the day after: never
    ("s1", 2, date(2024, 12, 1), "card", 7.0),  # another till of the same shop
]


def test_every_aggregation_over_its_window_and_never_the_future(spark) -> None:
    features = {
        "n_365d": feature("integer", "count", days=365),
        "n_card_90d": feature("integer", "count", where={"kind": "card"}, days=90),
        "n_ever": feature("long", "count"),
        "kinds": feature("integer", "count_distinct", column="kind", days=365),
        "total": feature("double", "sum", column="amount", days=365),
        "mean": feature("double", "mean", column="amount", days=365),
        "smallest": feature("double", "min", column="amount"),
        "largest": feature("double", "max", column="amount"),
        "paid_cash": feature("boolean", "exists", where={"kind": "cash"}),
        "since_card": feature("integer", "days_since", where={"kind": "card"}, days=365),
    }
    row = one(windowed(spine(spark), sales(spark, ROWS), KEY, AS_OF, "sold", features))
    assert row == {
        "shop": "s1",
        "till": 1,
        "on": D,
        "n_365d": 3,
        "n_card_90d": 2,
        "n_ever": 4,
        "kinds": 2,
        "total": 25.0,
        "mean": 12.5,
        "smallest": 5.0,
        "largest": 20.0,
        "paid_cash": True,
        "since_card": 0,
    }


def test_filters_take_values_lists_and_comparisons(spark) -> None:
    features = {
        "big": feature("integer", "count", where={"amount": {"gt": 9.0}}),
        "in_list": feature("integer", "count", where={"kind": ["cash", "cheque"]}),
        "not_card": feature("integer", "count", where={"kind": {"ne": "card"}}),
        "no_amount": feature("integer", "count", where={"amount": {"is_null": True}}),
        "card_between": feature(
            "integer", "count", where={"kind": "card", "amount": {"ge": 5.0, "lt": 10.0}}
        ),
    }
    row = one(windowed(spine(spark), sales(spark, ROWS), KEY, AS_OF, "sold", features))
    assert (row["big"], row["in_list"], row["not_card"]) == (2, 1, 1)
    assert (row["no_amount"], row["card_between"]) == (1, 1)


def test_an_entity_without_rows_gets_zero_counts_and_empty_values(spark) -> None:
    features = {
        "n": feature("integer", "count", days=30),
        "total": feature("double", "sum", column="amount"),
        "seen": feature("boolean", "exists"),
        "since": feature("integer", "days_since"),
        "largest": feature("double", "max", column="amount"),
    }
    row = one(
        windowed(spine(spark, [("s9", 1, D)]), sales(spark, ROWS), KEY, AS_OF, "sold", features)
    )
    assert (row["n"], row["total"], row["seen"]) == (0, 0.0, False)
    assert (row["since"], row["largest"]) == (None, None)


def test_each_spine_row_is_aggregated_as_of_its_own_date(spark) -> None:
    features = {"n": feature("integer", "count", days=365)}
    dates = [("s1", 1, date(2024, 6, 1)), ("s1", 1, D), ("s1", 2, D)]
    found = windowed(spine(spark, dates), sales(spark, ROWS), KEY, AS_OF, "sold", features)
    got = {(r["till"], r["on"]): r["n"] for r in found.collect()}
    assert got == {(1, date(2024, 6, 1)): 2, (1, D): 3, (2, D): 1}


@pytest.fixture
def prices(spark):
    rows = [
        ("s1", 1, date(2024, 6, 1), 1.0, "a"),
        ("s1", 1, date(2024, 12, 1), 2.0, "b"),
        ("s1", 1, date(2025, 2, 1), 3.0, "c"),  # after D: never seen on D
    ]
    return spark.createDataFrame(
        rows, "shop string, till int, valid date, price double, tag string"
    )


def test_columns_are_taken_from_the_latest_row_on_or_before_the_date(spark, prices) -> None:
    features = {"price": feature("double"), "label": feature("string", column="tag")}
    found = looked_up(spine(spark), prices, KEY, AS_OF, "valid", features, None)
    assert one(found) == {"shop": "s1", "till": 1, "on": D, "price": 2.0, "label": "b"}


def test_a_lookup_older_than_the_staleness_limit_finds_nothing(spark, prices) -> None:
    found = looked_up(spine(spark), prices, KEY, AS_OF, "valid", {"price": feature("double")}, 10)
    assert one(found)["price"] is None


def test_a_source_without_time_is_joined_by_key_and_cast_to_the_declared_type(spark) -> None:
    shops = spark.createDataFrame([("s1", 1, 3)], "shop string, till int, staff int")
    found = looked_up(spine(spark), shops, KEY, AS_OF, None, {"staff": feature("double")}, None)
    assert one(found)["staff"] == 3.0
    assert dict(found.dtypes)["staff"] == "double"
