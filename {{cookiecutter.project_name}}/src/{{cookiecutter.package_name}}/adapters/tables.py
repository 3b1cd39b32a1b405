"""Tables: read and write them where the run happens.

Locally a table is a folder under the warehouse (no metastore, so separate processes share
them) holding immutable version folders of Parquet files and a small pointer file that names the
current one, with the table's metadata record (fingerprints, watermarks); on Databricks it is a
Delta table in Unity Catalog. Both replace a whole table or exactly some of its partitions in one
commit, so that a failure or a crash at any instant leaves the old version or the new one, and
both keep the metadata record with the table. Only one run writes a table at a time.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Protocol

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from .. import faults
from ..config import SourceSpec
from ..errors import BusyError, DataError, ProblemsError, StorageError
from ..names import qualified, quote, sql_string
from . import files

POINTER = "_current.json"  # names starting with "_" or "." are not data to Spark
LEGACY_METADATA = "_table_metadata.json"  # a table written before version folders
METADATA_PROPERTY = "mlops.metadata"
_VERSION = re.compile(r"v-\d{8}T\d{6}\d{6}Z-[0-9a-f]{8}")
_OLD_STAGING = re.compile(r"\.(?P<table>.+)\.[0-9a-f]{32}")  # what a killed run left before


class Tables(Protocol):
    def exists(self, name: str) -> bool: ...
    def read(self, name: str) -> DataFrame: ...
    def write(self, df: DataFrame, name: str, metadata: dict | None = None) -> None: ...
    def overwrite_partitions(
        self, df: DataFrame, name: str, column: str, values: list[date], metadata: dict
    ) -> None: ...
    def metadata(self, name: str) -> dict: ...
    def describe(self, name: str) -> str: ...


def _link_or_copy(source: str, target: str) -> None:
    """A hard link (no data copied) where the file system has them, a copy elsewhere."""
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno in files.REFUSALS and error.errno not in (errno.EPERM, errno.EACCES):
            raise
        shutil.copy2(source, target)


class LocalTables:
    """Parquet tables under ``root`` (the warehouse folder of one schema).

    ``root/<name>/`` holds version folders ``v-<time>-<id>/`` that are never changed once
    written, and ``_current.json``, which names the current version and holds the metadata.
    A write takes the table's lock (``root/.<name>.lock``; the system releases it when its
    process dies), removes what a killed writer left, writes a new version folder (for a
    partition overwrite: the new partitions, with the untouched ones hard-linked from the
    current version, so nothing is copied), then replaces the pointer with ``os.replace``: that
    one step commits the data of every partition and the metadata together. The superseded
    version is kept for readers that resolved the pointer before the commit; older ones are
    removed.
    """

    def __init__(self, spark: SparkSession, root: Path):
        self.spark, self.root = spark, root

    def path(self, name: str) -> Path:
        """The table's folder (its versions and pointer)."""
        return self.root / name

    def describe(self, name: str) -> str:
        return str(self.path(name))

    def _pointer(self, name: str) -> dict | None:
        """What the table's pointer says, or None: no table (or one of the legacy layout)."""
        try:
            return json.loads((self.path(name) / POINTER).read_text())
        except FileNotFoundError:
            return None

    def location(self, name: str) -> Path | None:
        """The folder of the table's current version (a legacy table: the table's folder)."""
        pointer = self._pointer(name)
        if pointer is not None:
            return self.path(name) / pointer["version"]
        if (self.path(name) / LEGACY_METADATA).is_file():
            return self.path(name)
        return None

    def exists(self, name: str) -> bool:
        return self.location(name) is not None

    def read(self, name: str) -> DataFrame:
        folder = self.location(name)
        if folder is None:
            where = f"table {name!r} ({self.path(name)})"
            raise DataError([f"{where} does not exist yet: run the step that writes it"])
        return self.spark.read.parquet(str(folder))

    def metadata(self, name: str) -> dict:
        pointer = self._pointer(name)
        if pointer is not None:
            return pointer["metadata"]
        legacy = self.path(name) / LEGACY_METADATA
        return json.loads(legacy.read_text()) if legacy.is_file() else {}

    def write(self, df: DataFrame, name: str, metadata: dict | None = None) -> None:
        """Replace the table: a new version, committed by replacing the pointer."""

        def build(folder: Path, current: Path | None) -> None:
            df.write.parquet(str(folder))
            faults.point("table:data-written", table=name, path=folder)

        self._commit(name, build, metadata or {})

    def overwrite_partitions(
        self, df: DataFrame, name: str, column: str, values: list[date], metadata: dict
    ) -> None:
        """Replace exactly the partitions ``column=value`` for ``values`` (empty ones removed),
        all of them and the metadata in one commit; the other partitions are linked from the
        current version. Rows of ``df`` outside ``values`` are not written."""
        named = {f"{column}={value.isoformat()}" for value in values}

        def build(folder: Path, current: Path | None) -> None:
            df.write.partitionBy(column).parquet(str(folder))
            faults.point("table:data-written", table=name, path=folder)
            for part in folder.iterdir():
                if part.is_dir() and part.name.startswith(f"{column}=") and part.name not in named:
                    shutil.rmtree(part)
            for part in current.iterdir() if current else []:
                if part.is_dir() and part.name.startswith(f"{column}=") and part.name not in named:
                    shutil.copytree(part, folder / part.name, copy_function=_link_or_copy)

        self._commit(name, build, metadata)

    def _commit(
        self, name: str, build: Callable[[Path, Path | None], None], metadata: dict
    ) -> None:
        """Under the table's lock: a new version folder made by ``build(folder, current)``,
        then the pointer replaced in one step; the disk's refusals as a StorageError."""
        table = self.path(name)
        folder = table / f"v-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        try:
            with self._lock(name):
                self._remove_debris(name)
                faults.point("table:locked", table=name, path=table)
                current, pointer = self.location(name), self._pointer(name)
                table.mkdir(parents=True, exist_ok=True)
                try:
                    build(folder, current)
                    files.fsync_tree(folder)
                    faults.point("table:version-complete", table=name, path=folder)
                    self._replace_pointer(name, folder.name, pointer, metadata)
                except Exception:
                    shutil.rmtree(folder, ignore_errors=True)
                    self._remove_if_empty(name)
                    raise
                faults.point("table:committed", table=name, path=table)
                keep = {folder.name, pointer["version"] if pointer else None}
                self._remove_superseded(name, keep, legacy=pointer is None)
        except ProblemsError:
            raise
        except Exception as error:
            refused = files.refusal(error, table)
            if refused is None:
                raise
            why, path = refused
            raise StorageError(
                [f"table {name!r}: cannot write {path or table}: {why}; nothing was replaced"]
            ) from error
        finally:
            self._forget(name)

    def _replace_pointer(self, name: str, version: str, old: dict | None, metadata: dict) -> None:
        """The commit: a new pointer written beside the current one, then put in its place."""
        table = self.path(name)
        pointer = {
            "version": version,
            "previous": old["version"] if old else None,
            "metadata": metadata,
            "written": files.owner(),
        }
        staged = table / f"{POINTER}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            files.write_durably(staged, json.dumps(pointer, sort_keys=True, indent=1).encode())
            faults.point("table:pointer-staged", table=name, path=staged)
            os.replace(staged, table / POINTER)
        except Exception:
            staged.unlink(missing_ok=True)
            raise
        files.fsync_dir(table)

    def _remove_superseded(self, name: str, keep: set, legacy: bool) -> None:
        """After the commit: versions other than ``keep``, and a legacy table's own files;
        what cannot be removed now is removed by the next write."""
        for entry in self.path(name).iterdir():
            if entry.name in keep or entry.name.startswith(POINTER):
                continue
            if _VERSION.fullmatch(entry.name) or legacy:
                with suppress(OSError):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    def _remove_debris(self, name: str) -> list[Path]:
        """What a writer that was killed left of the table (its lock must be held): version
        folders the pointer does not name, staged pointers, and staging folders of before."""
        table, pointer, removed = self.path(name), self._pointer(name), []
        keep = {pointer["version"], pointer["previous"]} if pointer else set()
        for entry in table.iterdir() if table.is_dir() else []:
            if (_VERSION.fullmatch(entry.name) and entry.name not in keep) or (
                entry.name.startswith(f"{POINTER}.") and entry.name.endswith(".tmp")
            ):
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                removed.append(entry)
        for entry in self.root.glob(f".{name}.*"):
            found = _OLD_STAGING.fullmatch(entry.name)
            if found and found["table"] == name and entry.is_dir():
                shutil.rmtree(entry)
                removed.append(entry)
        self._remove_if_empty(name)
        return removed

    def _remove_if_empty(self, name: str) -> None:
        with suppress(OSError):
            self.path(name).rmdir()  # a first write that failed leaves no folder

    def recover(self) -> list[Path]:
        """What killed writers left, for every table no run is writing now: removed, listed.
        A step calls it when it starts."""
        if not self.root.is_dir():
            return []
        names = set()
        for entry in self.root.iterdir():
            found = _OLD_STAGING.fullmatch(entry.name)
            if found:
                names.add(found["table"])
            elif entry.is_dir() and not entry.name.startswith((".", "_")):
                names.add(entry.name)
        removed = []
        for name in sorted(names):
            try:
                with self._lock(name):
                    removed += self._remove_debris(name)
            except BusyError:
                continue  # its writer is alive: what it has written so far is not debris
        return removed

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """The right to write table ``name``, or BusyError naming who has it. An exclusive
        ``flock`` on ``root/.<name>.lock``: the system drops it when its holder dies, so a lock
        left by a killed run is simply taken over."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f".{name}.lock"
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise BusyError([self._busy(name, holder)]) from None
            try:  # the holder before may have removed the file between our open and flock
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(files.owner()).encode())
            yield
        finally:
            with suppress(OSError):
                path.unlink()
            os.close(fd)

    def _busy(self, name: str, holder: dict) -> str:
        who = f"pid {holder.get('pid', '?')}"
        if holder.get("host") and holder["host"] != files.this_host():
            who += f" on {holder['host']}"
        return (
            f"another run is writing table {name!r} ({who}, since {holder.get('since', '?')}): "
            f"nothing was written; run again when it has finished ({self.path(name)})"
        )

    def _forget(self, name: str) -> None:
        """Drop what this session cached of the table: later reads must see the new files."""
        self.spark.catalog.refreshByPath(str(self.path(name)))


def _holder(fd: int) -> dict:
    """Who holds a lock, as its file says (empty while the holder has not written it yet)."""
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}


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
