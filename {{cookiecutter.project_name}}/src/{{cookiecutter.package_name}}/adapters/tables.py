"""Tables: read and write them where the run happens.

Locally a table is a folder of Parquet files under the warehouse (no metastore, so separate
processes share them); on Databricks it is a Delta table in Unity Catalog. Both replace a whole
table or exactly some of its partitions so that a failure midway leaves the last good data,
and both keep a small metadata record (fingerprints, watermarks) with the table.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Protocol

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from ..config import SourceSpec
from ..errors import DataError
from ..names import qualified, quote, sql_string

METADATA_FILE = "_table_metadata.json"  # names starting with "_" are not data to Spark
METADATA_PROPERTY = "mlops.metadata"


class Tables(Protocol):
    def exists(self, name: str) -> bool: ...
    def read(self, name: str) -> DataFrame: ...
    def write(self, df: DataFrame, name: str, metadata: dict | None = None) -> None: ...
    def overwrite_partitions(
        self, df: DataFrame, name: str, column: str, values: list[date], metadata: dict
    ) -> None: ...
    def metadata(self, name: str) -> dict: ...
    def describe(self, name: str) -> str: ...


class LocalTables:
    """Parquet folders under ``root`` (the warehouse folder of one schema)."""

    def __init__(self, spark: SparkSession, root: Path):
        self.spark, self.root = spark, root

    def path(self, name: str) -> Path:
        return self.root / name

    def describe(self, name: str) -> str:
        return str(self.path(name))

    def exists(self, name: str) -> bool:
        return (self.path(name) / METADATA_FILE).is_file()

    def read(self, name: str) -> DataFrame:
        if not self.exists(name):
            where = f"table {name!r} ({self.path(name)})"
            raise DataError([f"{where} does not exist yet: run the step that writes it"])
        return self.spark.read.parquet(str(self.path(name)))

    def metadata(self, name: str) -> dict:
        file = self.path(name) / METADATA_FILE
        return json.loads(file.read_text()) if file.is_file() else {}

    def _forget(self, name: str) -> None:
        """Drop what this session cached of the table: later reads must see the new files."""
        self.spark.catalog.refreshByPath(str(self.path(name)))

    def _staging(self, name: str) -> Path:
        return self.root / f".{name}.{uuid.uuid4().hex}"

    def _swap(self, name: str, old: Path, new: Path) -> None:
        """Put folder ``new`` where ``old`` is (or remove ``old`` if there is no ``new``); the
        old folder is renamed away first, so a reader finds one whole folder or the other."""
        retired = self._staging(name) if old.exists() else None
        if retired:
            old.rename(retired)
        if new.exists():
            new.rename(old)
        if retired:
            shutil.rmtree(retired)

    def write(self, df: DataFrame, name: str, metadata: dict | None = None) -> None:
        """Replace the table: write beside it, then swap folders, so readers never see half."""
        staging = self._staging(name)
        try:
            df.write.parquet(str(staging))
            (staging / METADATA_FILE).write_text(json.dumps(metadata or {}, sort_keys=True))
            self._swap(name, self.path(name), staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            self._forget(name)

    def overwrite_partitions(
        self, df: DataFrame, name: str, column: str, values: list[date], metadata: dict
    ) -> None:
        """Replace exactly the partitions ``column=value`` for ``values`` (empty ones removed).

        Each partition folder is swapped whole; the metadata is written last, so a failure
        midway leaves it describing the partitions of the previous run.
        """
        staging = self._staging(name)
        try:
            df.write.partitionBy(column).parquet(str(staging))
            target = self.path(name)
            target.mkdir(parents=True, exist_ok=True)
            for value in values:
                part = f"{column}={value.isoformat()}"
                self._swap(name, target / part, staging / part)
            (target / METADATA_FILE).write_text(json.dumps(metadata, sort_keys=True))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            self._forget(name)


class DatabricksTables:
    """Delta tables ``catalog.schema.name`` in Unity Catalog; metadata in a table property."""

    def __init__(self, spark: SparkSession, catalog: str, schema: str):
        self.spark, self.catalog, self.schema = spark, catalog, schema

    def describe(self, name: str) -> str:
        return f"{self.catalog}.{self.schema}.{name}"

    def _sql(self, name: str) -> str:
        """The table's name as SQL and the table APIs take it: every part quoted."""
        return qualified(self.catalog, self.schema, name)

    def exists(self, name: str) -> bool:
        return self.spark.catalog.tableExists(self._sql(name))

    def read(self, name: str) -> DataFrame:
        if not self.exists(name):
            raise DataError(
                [f"table {self.describe(name)} does not exist yet: run the step that writes it"]
            )
        return self.spark.table(self._sql(name))

    def metadata(self, name: str) -> dict:
        rows = self.spark.sql(
            f"SHOW TBLPROPERTIES {self._sql(name)} ({sql_string(METADATA_PROPERTY)})"
        )
        value = rows.collect()[0]["value"] if rows.count() else ""
        return json.loads(value) if value.startswith("{") else {}

    def set_metadata(self, name: str, metadata: dict) -> None:
        text = json.dumps(metadata, sort_keys=True)
        properties = f"({sql_string(METADATA_PROPERTY)} = {sql_string(text)})"
        self.spark.sql(f"ALTER TABLE {self._sql(name)} SET TBLPROPERTIES {properties}")

    def write(self, df: DataFrame, name: str, metadata: dict | None = None) -> None:
        (
            df.write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
            .saveAsTable(self._sql(name))
        )
        self.set_metadata(name, metadata or {})
        self.spark.catalog.refreshTable(self._sql(name))

    def overwrite_partitions(
        self, df: DataFrame, name: str, column: str, values: list[date], metadata: dict
    ) -> None:
        listed = ", ".join(f"DATE'{v.isoformat()}'" for v in values)
        (
            df.write.format("delta")
            .mode("overwrite")
            .partitionBy(column)
            .option("replaceWhere", f"{quote(column)} IN ({listed})")
            .saveAsTable(self._sql(name))
        )
        self.set_metadata(name, metadata)
        self.spark.catalog.refreshTable(self._sql(name))


def read_source(spark: SparkSession, spec: SourceSpec, label: str) -> DataFrame:
    """One declared source, columns as the source names them (CSV: all strings, with a header
    row unless ``options`` say otherwise)."""
    if spec.format == "table":
        try:
            exists = spark.catalog.tableExists(spec.table)
        except AnalysisException:  # a name this catalog cannot even hold (catalog.schema.table)
            exists = False
        if not exists:
            raise DataError([f"{label}: no such table"])
        return spark.table(spec.table)
    path = str(spec.path)
    if "://" not in path and not spec.path.exists():
        raise DataError([f"{label}: no such file or folder"])
    reader = spark.read.options(**spec.options)
    if spec.format == "csv":
        return reader.option("header", spec.options.get("header", "true")).csv(path)
    if spec.format == "delta":
        return reader.format("delta").load(path)
    return reader.parquet(path)
