"""Local tables: whole-table swaps, exact partition overwrites, and failures that lose nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from pyspark.sql import functions as F

from {{ cookiecutter.package_name }}.adapters.tables import (
    DatabricksTables,
    LocalTables,
    read_source,
)
from {{ cookiecutter.package_name }}.config import SourceSpec
from {{ cookiecutter.package_name }}.errors import DataError

D1, D2, D3 = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def frame(spark, rows):
    return spark.createDataFrame(rows, "member_id string, as_of_date date, x int")


def content(tables: LocalTables, name: str) -> set:
    return {tuple(r) for r in tables.read(name).select("member_id", "as_of_date", "x").collect()}


def failing(spark):
    """A DataFrame whose computation fails while it is being written."""
    boom = F.udf(lambda value: 1 // 0, "int")
    return frame(spark, [("A", D1, 1)]).withColumn("x", boom("x"))


def test_write_read_and_metadata(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    assert not tables.exists("t") and tables.metadata("t") == {}
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"fingerprint": "f1"})
    assert tables.exists("t")
    assert content(tables, "t") == {("A", D1, 1)}
    assert tables.metadata("t") == {"fingerprint": "f1"}


def test_reading_a_missing_table_says_which_step_makes_it(spark, tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match="table 'labels' .* does not exist yet: run the step that writes it"
    ):
        LocalTables(spark, tmp_path).read("labels")


def test_a_rewritten_table_is_read_anew_even_when_cached(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {})
    cached = tables.read("t").cache()
    assert cached.count() == 1
    tables.write(frame(spark, [("B", D1, 2), ("C", D1, 3)]), "t", {})
    assert content(tables, "t") == {("B", D1, 2), ("C", D1, 3)}
    tables.overwrite_partitions(frame(spark, [("D", D2, 4)]), "p", "as_of_date", [D2], {})
    tables.read("p").cache().count()
    tables.overwrite_partitions(frame(spark, [("E", D2, 5)]), "p", "as_of_date", [D2], {})
    assert content(tables, "p") == {("E", D2, 5)}


def test_write_replaces_the_whole_table(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1), ("B", D1, 2)]), "t", {"v": 1})
    tables.write(frame(spark, [("C", D2, 3)]), "t", {"v": 2})
    assert content(tables, "t") == {("C", D2, 3)}
    assert tables.metadata("t") == {"v": 2}


def test_failed_write_leaves_the_previous_table_and_no_debris(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})
    with pytest.raises(Exception, match="ZeroDivisionError"):
        tables.write(failing(spark), "t", {"v": 2})
    assert content(tables, "t") == {("A", D1, 1)}
    assert tables.metadata("t") == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]


def test_overwrite_partitions_replaces_exactly_the_named_ones(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    first = [("A", D1, 1), ("A", D2, 2), ("A", D3, 3)]
    tables.overwrite_partitions(
        frame(spark, first), "t", "as_of_date", [D1, D2, D3], {"watermark": "3"}
    )
    untouched = (tmp_path / "t" / "as_of_date=2024-01-01").stat().st_ino
    # D2 is recomputed, D3 becomes empty, D1 is not named and must stay as it was.
    tables.overwrite_partitions(
        frame(spark, [("B", D2, 20)]), "t", "as_of_date", [D2, D3], {"watermark": "4"}
    )
    assert content(tables, "t") == {("A", D1, 1), ("B", D2, 20)}
    assert (tmp_path / "t" / "as_of_date=2024-01-01").stat().st_ino == untouched
    assert tables.metadata("t") == {"watermark": "4"}


def test_failed_partition_overwrite_keeps_data_and_watermark(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.overwrite_partitions(
        frame(spark, [("A", D1, 1)]), "t", "as_of_date", [D1], {"watermark": "1"}
    )
    with pytest.raises(Exception, match="ZeroDivisionError"):
        tables.overwrite_partitions(failing(spark), "t", "as_of_date", [D1], {"watermark": "2"})
    assert content(tables, "t") == {("A", D1, 1)}
    assert tables.metadata("t") == {"watermark": "1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]


def test_sources_are_read_from_csv_parquet_or_a_table(spark, tmp_path: Path) -> None:
    rows = frame(spark, [("A", D1, 1)])
    rows.write.parquet(str(tmp_path / "p"))
    rows.write.option("header", "true").csv(str(tmp_path / "c"))
    rows.createOrReplaceTempView("source_table")
    columns = {"member_id": "string", "as_of_date": "date", "x": "integer"}
    specs = {
        "parquet": SourceSpec(format="parquet", path=tmp_path / "p", columns=columns),
        "csv": SourceSpec(format="csv", path=tmp_path / "c", columns=columns),
        "table": SourceSpec(format="table", table="source_table", columns=columns),
    }
    for kind, spec in specs.items():
        df = read_source(spark, spec, kind)
        assert df.columns == ["member_id", "as_of_date", "x"], kind
        assert [tuple(map(str, r)) for r in df.collect()] == [("A", "2024-01-01", "1")], kind
    with pytest.raises(DataError, match="main.claims.nope: no such table"):
        spec = SourceSpec(format="table", table="main.claims.nope", columns=columns)
        read_source(spark, spec, "main.claims.nope")


def test_csv_reader_options_are_passed_on(spark, tmp_path: Path) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text("id;amount\na;1,5\n")
    spec = SourceSpec(
        format="csv", path=path, options={"sep": ";"}, columns={"id": "string", "amount": "string"}
    )
    assert [tuple(r) for r in read_source(spark, spec, "x").collect()] == [("a", "1,5")]


def test_databricks_tables_replace_partitions_and_keep_metadata_as_a_property() -> None:
    spark = MagicMock(name="spark")
    tables = DatabricksTables(spark, "staging", "risk")
    df = MagicMock(name="df")
    tables.overwrite_partitions(df, "supermarket", "as_of_date", [D1, D2], {"note": "it's"})
    writer = df.write.format.return_value.mode.return_value.partitionBy.return_value
    writer.option.assert_called_once_with(
        "replaceWhere", "`as_of_date` IN (DATE'2024-01-01', DATE'2024-02-01')"
    )
    table = "`staging`.`risk`.`supermarket`"
    writer.option.return_value.saveAsTable.assert_called_once_with(table)
    [statement] = [c.args[0] for c in spark.sql.call_args_list]
    assert statement == (
        f"ALTER TABLE {table} SET TBLPROPERTIES "
        """('mlops.metadata' = '{"note": "it\\'s"}')"""
    )
    spark.catalog.refreshTable.assert_called_once_with(table)
