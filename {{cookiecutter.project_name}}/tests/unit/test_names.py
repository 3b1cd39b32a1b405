"""Names in SQL: what a catalog, schema or table name may be, and that every name the code puts
into SQL arrives there as a name, whatever it holds (Spark's own parser says so)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from {{ cookiecutter.package_name }}.adapters.tables import DatabricksTables
from {{ cookiecutter.package_name }}.estimators import build_spark
from {{ cookiecutter.package_name }}.names import (
    QUALIFIED,
    name_problem,
    parts_of,
    qualified,
    quote,
    sql_string,
)

ODD = ["plain", "with`backtick", "two``ticks", "dot.ted", "sp ace", "semi;colon", "a'quote"]


@pytest.mark.parametrize(
    ("name", "usable"),
    [
        ("predictions", True),
        ("_private", True),
        ("Delivery_2", True),
        ("2nd", False),
        ("work-list", False),
        ("dot.ted", False),
        ("../up", False),
        ("sp ace", False),
        ("tick`", False),
        ("", False),
        ("é", False),
    ],
)
def test_a_table_name_is_letters_digits_and_underscores(name: str, usable: bool) -> None:
    assert (name_problem(name, 128) is None) is usable


def test_a_name_has_a_length_limit() -> None:
    assert name_problem("t" * 128, 128) is None
    assert name_problem("t" * 129, 128) == "is 129 characters long; at most 128"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("events", ["events"]),
        ("main.claims.events", ["main", "claims", "events"]),
        ("`my-catalog`.claims.`events 2024`", ["my-catalog", "claims", "events 2024"]),
        ("`a``b`.c", ["a`b", "c"]),
        ("`dot.ted`.t", ["dot.ted", "t"]),
    ],
)
def test_a_source_may_name_a_qualified_table(name: str, parts: list[str]) -> None:
    assert QUALIFIED.fullmatch(name)
    assert parts_of(name) == parts


@pytest.mark.parametrize("name", ["a.b.c.d", "a b", "a.", ".a", "`unclosed", "a;b", ""])
def test_what_is_not_a_qualified_table_name(name: str) -> None:
    assert not QUALIFIED.fullmatch(name)


def parsed_parts(spark, name: str) -> list[str]:
    """How Spark's SQL parser splits a multi-part name."""
    parser = spark._jsparkSession.sessionState().sqlParser()
    return list(parser.parseMultipartIdentifier(name).mkString("\u0000").split("\u0000"))


@pytest.mark.parametrize("name", ODD)
def test_quoted_names_reach_spark_as_names(spark, name: str) -> None:
    assert parsed_parts(spark, qualified("cat", "sch", name)) == ["cat", "sch", name]
    assert spark.sql(f"SELECT 1 AS {quote(name)}").columns == [name]


@pytest.mark.parametrize("text", ["plain", "it's", "back\\slash", '{"a": "b\\"c"}', "\\'"])
def test_string_literals_reach_spark_unchanged(spark, text: str) -> None:
    assert spark.sql(f"SELECT {sql_string(text)} AS v").first().v == text


def test_databricks_tables_quote_every_name_they_put_into_sql() -> None:
    spark = MagicMock(name="spark")
    spark.sql.return_value.count.return_value = 0
    tables = DatabricksTables(spark, "dev", "risk")
    df = MagicMock(name="df")
    tables.write(df, "delivery", {"path": "C:\\out", "note": "it's"})
    tables.exists("delivery")
    tables.metadata("delivery")
    table = "`dev`.`risk`.`delivery`"
    writer = df.write.format.return_value.mode.return_value.option.return_value
    writer.saveAsTable.assert_called_once_with(table)
    spark.catalog.tableExists.assert_called_once_with(table)
    alter, show = [c.args[0] for c in spark.sql.call_args_list]
    assert alter.startswith(f"ALTER TABLE {table} SET TBLPROPERTIES ('mlops.metadata' = '")
    assert "C:\\\\\\\\out" in alter and "it\\'s" in alter  # JSON's \\ and the quote, escaped
    assert show == f"SHOW TBLPROPERTIES {table} ('mlops.metadata')"
    assert tables.describe("delivery") == "dev.risk.delivery"  # for messages and the FE client


def test_table_properties_hold_metadata_exactly(spark) -> None:
    """What set_metadata writes is a literal Spark reads back as the very JSON text."""
    captured = MagicMock(name="spark")
    DatabricksTables(captured, "c", "s").set_metadata("t", {"path": "C:\\out", "q": "it's"})
    [statement] = [c.args[0] for c in captured.sql.call_args_list]
    literal = statement.split(" = ", 1)[1].rstrip(")")
    assert spark.sql(f"SELECT {literal} AS v").first().v == '{"path": "C:\\\\out", "q": "it\'s"}'


def test_a_partition_column_is_quoted_in_replace_where() -> None:
    spark, df = MagicMock(name="spark"), MagicMock(name="df")
    DatabricksTables(spark, "dev", "risk").overwrite_partitions(df, "t", "as of", [], {})
    writer = df.write.format.return_value.mode.return_value.partitionBy.return_value
    assert writer.option.call_args.args[1].startswith("`as of` IN (")


def test_spark_ml_pipelines_take_columns_of_any_name(spark) -> None:
    column = "odd`name"
    frame = spark.createDataFrame([(1,)], f"{quote(column)} int")
    cast = build_spark("spark_logistic_regression", {}, [column], [], seed=1).getStages()[0]
    assert cast.transform(frame).columns == [column, f"{column}__double"]
