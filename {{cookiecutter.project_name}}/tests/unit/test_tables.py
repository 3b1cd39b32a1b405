"""Local tables: whole-table and partition writes committed in one step, so that a failure or
a crash at any instant leaves the old version or the new one; one writer at a time; what killed
writers leave is removed. Crashes are injected at the adapter's named points (faults.py),
not by timing a kill."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from pyspark.sql import functions as F

from {{ cookiecutter.package_name }} import faults
from {{ cookiecutter.package_name }}.adapters.tables import (
    POINTER,
    DatabricksTables,
    LocalTables,
    read_source,
)
from {{ cookiecutter.package_name }}.config import SourceSpec
from {{ cookiecutter.package_name }}.errors import BusyError, DataError, StorageError

from conftest import PROJECT_ROOT

D1, D2, D3 = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
POINTS = [
    "table:locked",
    "table:data-written",
    "table:version-complete",
    "table:pointer-staged",
    "table:committed",
]


class Crash(BaseException):
    """A crash: not an Exception, so no `except Exception` cleans up after it, as after a
    kill."""


def crash_at(point: str, table: str | None = None):
    def hook(name: str, **where) -> None:
        if name == point and table in (None, where.get("table")):
            raise Crash(name)

    return hook


def frame(spark, rows):
    return spark.createDataFrame(rows, "member_id string, as_of_date date, x int")


def content(tables: LocalTables, name: str) -> set:
    return {tuple(r) for r in tables.read(name).select("member_id", "as_of_date", "x").collect()}


def failing(spark):
    """A DataFrame whose computation fails while it is being written."""
    boom = F.udf(lambda value: 1 // 0, "int")
    return frame(spark, [("A", D1, 1)]).withColumn("x", boom("x"))


def versions(tables: LocalTables, name: str) -> list[str]:
    return sorted(p.name for p in tables.path(name).iterdir() if p.name.startswith("v-"))


def files_of(tables: LocalTables, name: str) -> dict[str, frozenset[int]]:
    """Each partition of the current version: the inodes of its data files."""
    return {
        part.name: frozenset(f.stat().st_ino for f in part.glob("*.parquet"))
        for part in tables.location(name).iterdir()
        if part.is_dir()
    }


def only_committed_left(tables: LocalTables, root: Path, name: str) -> None:
    """Nothing but the table's folder in the warehouse, and in it its pointer and the versions
    it names (the current one and the one it superseded)."""
    assert sorted(p.name for p in root.iterdir()) == [name]
    pointer = json.loads((tables.path(name) / POINTER).read_text())
    named = sorted(v for v in (pointer["version"], pointer["previous"]) if v)
    assert sorted(p.name for p in tables.path(name).iterdir()) == [POINTER, *named]


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
    only_committed_left(tables, tmp_path, "t")
    with pytest.raises(Exception, match="ZeroDivisionError"):
        tables.write(failing(spark), "new", {})
    assert not tables.exists("new") and not tables.path("new").exists()


def test_overwrite_partitions_replaces_exactly_the_named_ones(spark, tmp_path: Path) -> None:
    tables = LocalTables(spark, tmp_path)
    first = [("A", D1, 1), ("A", D2, 2), ("A", D3, 3)]
    tables.overwrite_partitions(
        frame(spark, first), "t", "as_of_date", [D1, D2, D3], {"watermark": "3"}
    )
    before = files_of(tables, "t")
    # D2 is recomputed, D3 becomes empty, D1 is not named and must stay as it was.
    tables.overwrite_partitions(
        frame(spark, [("B", D2, 20)]), "t", "as_of_date", [D2, D3], {"watermark": "4"}
    )
    assert content(tables, "t") == {("A", D1, 1), ("B", D2, 20)}
    after = files_of(tables, "t")
    assert sorted(after) == ["as_of_date=2024-01-01", "as_of_date=2024-02-01"]
    # The untouched partition is linked into the new version, not copied: the same files.
    assert after["as_of_date=2024-01-01"] == before["as_of_date=2024-01-01"]
    assert after["as_of_date=2024-02-01"].isdisjoint(before["as_of_date=2024-02-01"])
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
    only_committed_left(tables, tmp_path, "t")


def test_superseded_versions_are_removed_but_the_last_one_is_kept_for_readers(
    spark, tmp_path: Path
) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})
    read_before = tables.read("t")  # a reader that resolved the pointer before the next commit
    tables.write(frame(spark, [("B", D1, 2)]), "t", {"v": 2})
    assert {tuple(r) for r in read_before.collect()} == {("A", D1, 1)}  # still readable
    tables.write(frame(spark, [("C", D1, 3)]), "t", {"v": 3})
    assert len(versions(tables, "t")) == 2  # the first is gone
    only_committed_left(tables, tmp_path, "t")
    assert content(tables, "t") == {("C", D1, 3)}


def write_full(spark, tables: LocalTables) -> None:
    tables.write(frame(spark, [("B", D1, 2), ("C", D2, 3)]), "t", {"v": 2})


def write_partitions(spark, tables: LocalTables) -> None:
    """Three partitions recomputed in one write, as `features` recomputes its snapshots."""
    rows = [("B", D1, 10), ("B", D2, 20), ("B", D3, 30)]
    tables.overwrite_partitions(frame(spark, rows), "t", "as_of_date", [D1, D2, D3], {"v": 2})


OLD = {("A", D1, 1), ("A", D2, 2), ("A", D3, 3)}
NEW = {
    "full": {("B", D1, 2), ("C", D2, 3)},
    "partitions": {("B", D1, 10), ("B", D2, 20), ("B", D3, 30)},
}
WRITES = {"full": write_full, "partitions": write_partitions}


@pytest.mark.parametrize("kind", sorted(WRITES))
@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_any_instant_leaves_the_old_or_the_new_version_whole(
    spark, tmp_path: Path, monkeypatch, point: str, kind: str
) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.overwrite_partitions(
        frame(spark, sorted(OLD)), "t", "as_of_date", [D1, D2, D3], {"v": 1}
    )
    monkeypatch.setattr(faults, "hook", crash_at(point))
    with pytest.raises(Crash):
        WRITES[kind](spark, tables)
    monkeypatch.setattr(faults, "hook", faults._nothing)

    # What another process finds: the pointer read anew, the data of one version, every
    # partition of it, and the metadata written with that data.
    after = LocalTables(spark, tmp_path)
    committed = point == "table:committed"
    assert content(after, "t") == (NEW[kind] if committed else OLD)
    assert after.metadata("t") == {"v": 2 if committed else 1}

    # The next run of a step removes what the crash left, and writes as usual.
    removed = after.recover()
    assert all(p.parent == after.path("t") for p in removed)
    tables.write(frame(spark, [("Z", D1, 9)]), "t", {"v": 3})
    assert content(tables, "t") == {("Z", D1, 9)}
    only_committed_left(tables, tmp_path, "t")


def test_a_crash_during_the_first_write_leaves_no_table(spark, tmp_path, monkeypatch) -> None:
    tables = LocalTables(spark, tmp_path)
    monkeypatch.setattr(faults, "hook", crash_at("table:pointer-staged"))
    with pytest.raises(Crash):
        write_partitions(spark, tables)
    monkeypatch.setattr(faults, "hook", faults._nothing)
    assert not tables.exists("t") and tables.metadata("t") == {}
    with pytest.raises(DataError, match="does not exist yet"):
        tables.read("t")
    assert [p.parent.name for p in tables.recover()] == ["t", "t"]  # the version, the pointer
    assert list(tmp_path.iterdir()) == []


def test_recovery_removes_what_killed_runs_left_but_not_a_live_writers_work(
    spark, tmp_path, monkeypatch
) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})
    tables.write(frame(spark, [("A", D1, 1)]), "u", {"v": 1})
    monkeypatch.setattr(faults, "hook", crash_at("table:data-written"))
    for name in ("t", "u"):
        with pytest.raises(Crash):
            tables.write(frame(spark, [("B", D1, 2)]), name, {"v": 2})
    old_staging = tmp_path / f".t.{'0' * 32}"  # what a killed run of the previous layout left
    old_staging.mkdir()
    seen = {}

    def recover_while_u_is_written(name: str, **where) -> None:
        if name == "table:data-written" and where["table"] == "u":
            seen["removed"] = LocalTables(spark, tmp_path).recover()

    monkeypatch.setattr(faults, "hook", recover_while_u_is_written)
    tables.write(frame(spark, [("C", D1, 3)]), "u", {"v": 3})
    # t's debris went; u's lock was held, so its new version, half made, was left to its writer.
    assert sorted(p.name for p in seen["removed"] if p.parent == tmp_path) == [old_staging.name]
    assert {p.parent.name for p in seen["removed"] if p.parent != tmp_path} == {"t"}
    assert content(tables, "t") == {("A", D1, 1)} and content(tables, "u") == {("C", D1, 3)}
    assert len(versions(tables, "t")) == 1 and len(versions(tables, "u")) == 2


def test_a_second_writer_of_the_same_table_is_told_who_writes_it(
    spark, tmp_path, monkeypatch
) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})
    second = {}

    def second_writer(name: str, **where) -> None:  # while the first holds the lock
        if name == "table:data-written" and "error" not in second:
            try:
                LocalTables(spark, tmp_path).write(frame(spark, [("X", D1, 0)]), "t", {"v": 0})
            except BusyError as error:
                second["error"] = error

    monkeypatch.setattr(faults, "hook", second_writer)
    tables.write(frame(spark, [("B", D1, 2)]), "t", {"v": 2})
    error = second["error"]
    assert error.exit_code == 7
    [line] = error.problems
    assert line.startswith(f"another run is writing table 't' (pid {os.getpid()}, since 20")
    assert "nothing was written; run again when it has finished" in line
    assert content(tables, "t") == {("B", D1, 2)} and tables.metadata("t") == {"v": 2}
    only_committed_left(tables, tmp_path, "t")


LOCK_THEN = """
import os, sys, time
from pathlib import Path
from {{ cookiecutter.package_name }}.adapters.tables import LocalTables
with LocalTables(None, Path(sys.argv[1]))._lock("t"):
    print("locked", flush=True)
    if sys.argv[2] == "die":
        os._exit(9)  # killed while it holds the lock: no cleanup runs
    time.sleep(60)
"""


def hold_lock(root: Path, then: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(LOCK_THEN), str(root), then],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout.readline().strip() == "locked"
    return child


def test_a_writer_in_another_process_holds_the_table(spark, tmp_path) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})
    child = hold_lock(tmp_path, "sleep")
    try:
        with pytest.raises(
            BusyError, match=f"another run is writing table 't' \\(pid {child.pid}, since "
        ):
            tables.write(frame(spark, [("B", D1, 2)]), "t", {"v": 2})
        assert tables.recover() == []  # a live writer's table is left alone
    finally:
        child.kill()
        child.wait()
    tables.write(frame(spark, [("B", D1, 2)]), "t", {"v": 2})
    assert content(tables, "t") == {("B", D1, 2)}


def test_a_lock_left_by_a_dead_process_is_taken_over(spark, tmp_path) -> None:
    tables = LocalTables(spark, tmp_path)
    child = hold_lock(tmp_path, "die")
    child.wait()
    left = json.loads((tmp_path / ".t.lock").read_text())
    assert left["pid"] == child.pid  # its lock file is still there
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})
    assert content(tables, "t") == {("A", D1, 1)}
    only_committed_left(tables, tmp_path, "t")


@pytest.mark.parametrize(
    ("point", "code", "said"),
    [
        ("table:data-written", errno.ENOSPC, "the disk is full (ENOSPC)"),
        ("table:pointer-staged", errno.ENOSPC, "the disk is full (ENOSPC)"),
        ("table:locked", errno.EROFS, "the file system is read-only (EROFS)"),
        ("table:version-complete", errno.EDQUOT, "the disk quota is used up (EDQUOT)"),
    ],
)
def test_a_full_or_read_only_disk_is_one_line_naming_the_path(
    spark, tmp_path, monkeypatch, point, code, said
) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.overwrite_partitions(
        frame(spark, sorted(OLD)), "t", "as_of_date", [D1, D2, D3], {"v": 1}
    )

    def refuse(name: str, **where) -> None:
        if name == point:
            raise OSError(code, os.strerror(code), str(where["path"]))

    monkeypatch.setattr(faults, "hook", refuse)
    with pytest.raises(StorageError) as refused:
        write_partitions(spark, tables)
    assert refused.value.exit_code == 8
    [line] = refused.value.problems
    assert line.startswith(f"table 't': cannot write {tmp_path / 't'}")
    assert line.endswith(f": {said}; nothing was replaced")
    assert content(tables, "t") == OLD and tables.metadata("t") == {"v": 1}
    only_committed_left(tables, tmp_path, "t")


def test_a_disk_that_fills_while_spark_writes_is_a_storage_error(spark, tmp_path) -> None:
    tables = LocalTables(spark, tmp_path)
    tables.write(frame(spark, [("A", D1, 1)]), "t", {"v": 1})

    def full(value):
        raise OSError(errno.ENOSPC, "No space left on device")

    rows = frame(spark, [("B", D1, 2)]).withColumn("x", F.udf(full, "int")("x"))
    with pytest.raises(StorageError, match="the disk is full \\(ENOSPC\\); nothing was replaced"):
        tables.write(rows, "t", {"v": 2})
    assert content(tables, "t") == {("A", D1, 1)}
    only_committed_left(tables, tmp_path, "t")


def test_a_table_of_the_previous_layout_is_read_and_replaced(spark, tmp_path) -> None:
    legacy = tmp_path / "t"
    frame(spark, [("A", D1, 1), ("A", D2, 2)]).write.partitionBy("as_of_date").parquet(str(legacy))
    (legacy / "_table_metadata.json").write_text(json.dumps({"v": 1}))
    tables = LocalTables(spark, tmp_path)
    assert tables.exists("t") and tables.metadata("t") == {"v": 1}
    assert content(tables, "t") == {("A", D1, 1), ("A", D2, 2)}
    tables.overwrite_partitions(frame(spark, [("B", D2, 20)]), "t", "as_of_date", [D2], {"v": 2})
    assert content(tables, "t") == {("A", D1, 1), ("B", D2, 20)}
    assert sorted(p.name for p in legacy.iterdir()) == [POINTER, *versions(tables, "t")]
    assert len(versions(tables, "t")) == 1


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
