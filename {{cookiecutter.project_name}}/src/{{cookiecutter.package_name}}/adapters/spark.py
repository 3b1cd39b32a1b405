"""The SparkSession: the platform's own on Databricks, a small local one everywhere else.

A local session's JVM loads Spark's classes from an archive of them (the JVM's class-data
sharing), which saves seconds at every start: the first local session of a virtualenv asks its
JVM to write the archive when it exits, and a later one has Java check it before using it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyspark
from pyspark import SparkContext
from pyspark.sql import SparkSession

from ..caching import is_connect
from ..config import SparkSettings, StorageSettings

JAVA_OPTIONS = "spark.driver.extraJavaOptions"
SETTLED_SECONDS = 30  # a dump this young may still be being written
# The JVM's notes on archiving (hundreds of classes it leaves out as it writes one, a stale
# archive it does not map) would land in the step's output: none is an error.
QUIET = "-Xlog:cds*=off"


def archive_folder() -> Path:
    """Where the class archive is kept: in the virtualenv whose Spark it holds, so that it goes
    with it (a Python whose prefix cannot be written starts without one)."""
    return Path(sys.prefix) / "spark-class-archives"


def _install_key() -> str:
    """The Spark installation and Java an archive is for: a reinstalled Spark or another Java
    gets an archive of its own (the JVM refuses a stale one anyway, but would never replace it)."""
    jars = Path(pyspark.__file__).parent / "jars"
    listed = sorted((j.name, j.stat().st_size, int(j.stat().st_mtime)) for j in jars.glob("*.jar"))
    java = os.environ.get("JAVA_HOME", "")
    text = json.dumps([str(jars), pyspark.__version__, java, listed])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def usable(archive: Path, java_home: str, class_path: str) -> bool:
    """Whether that JVM maps ``archive`` whole, every region's checksum verified (a truncated
    or damaged archive makes a JVM abort, so none is used unchecked)."""
    command = [
        str(Path(java_home) / "bin" / "java"),
        "-Xshare:on",
        "-XX:+VerifySharedSpaces",
        f"-XX:SharedArchiveFile={archive}",
        "-XX:ErrorFile=/dev/null",  # an abort here is the answer, not a report to keep
        "-XX:-CreateCoredumpOnCrash",
        "-cp",
        class_path,
        "-version",
    ]
    try:
        return subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class ClassArchive:
    """The class archive of this Spark installation, in ``folder``.

    ``spark-<key>.jsa`` is the checked archive, never written in place. A session that finds
    none plans one: it records its JVM's home and class path in ``spark-<key>.<id>.json`` and
    asks the JVM to write ``spark-<key>.<id>.dump`` at its exit. A later session checks a dump
    that has settled with that JVM (`usable`) and renames it to the archive, or removes it.
    While a planned dump is pending (the process that will write it lives: the session's Python
    before its JVM started, then the JVM) no other session plans one; a plan whose process died
    without writing the dump (killed, say) is removed. A Java that refuses the options (asked
    once) gets none. Any trouble with the folder means starting without an archive, never
    failing.
    """

    def __init__(self, folder: Path, check=usable):
        self.folder, self.check = folder, check
        try:
            self.key = _install_key()
        except OSError:  # Spark's jars cannot be listed: no archive, whatever else
            self.key = None
        self.archive = folder / f"spark-{self.key}.jsa"
        self.plan: Path | None = None  # the record of the dump this session asked for

    def java_options(self) -> str:
        """The JVM options for a session about to start: use the archive, or write one."""
        if self.key is None:
            return ""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            pending = self._settle()
            if self.archive.is_file():
                return f"-XX:SharedArchiveFile={self.archive} {QUIET}"
            if pending or not self._can_archive():
                return ""
            self.plan = self.folder / f"spark-{self.key}.{uuid.uuid4().hex[:12]}.json"
            _write_whole(self.plan, {"pid": os.getpid()})  # this process, until its JVM runs
            return f"-XX:ArchiveClassesAtExit={self.plan.with_suffix('.dump')} {QUIET}"
        except OSError:
            self.plan = None
            return ""

    def started(self, session: SparkSession) -> None:
        """Record the JVM the planned dump is written by, for the check before it is used."""
        if self.plan is None:
            return
        # Any failure here (the gateway, the disk) leaves a plan without a JVM: its dump is then
        # removed unchecked, never used, and the session runs on.
        with contextlib.suppress(Exception):
            jvm = session.sparkContext._jvm
            record = {
                "pid": jvm.java.lang.ProcessHandle.current().pid(),  # the JVM writes the dump
                "java_home": jvm.System.getProperty("java.home"),
                "class_path": jvm.System.getProperty("java.class.path"),
            }
            _write_whole(self.plan, record)

    def abandon(self) -> None:
        """The session did not start: its plan goes, so that the next session plans anew."""
        if self.plan is not None:
            with contextlib.suppress(OSError):  # the session's own error is the one to raise
                self.plan.unlink(missing_ok=True)
            self.plan = None

    def _can_archive(self) -> bool:
        """Whether this Java writes an archive with these options and still starts (HotSpot
        does; another JVM might refuse them and not start at all). Asked once, with a tiny
        archive of the JVM's own classes; a no is kept, so it is not asked again."""
        refused = self.folder / f"spark-{self.key}.refused"
        if refused.exists():
            return False
        home = os.environ.get("JAVA_HOME")
        java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
        probe = self.folder / f"probe-{uuid.uuid4().hex[:12]}"
        try:
            command = [java or "java", QUIET, f"-XX:ArchiveClassesAtExit={probe}", "-version"]
            done = subprocess.run(command, capture_output=True, timeout=120)
            works = done.returncode == 0 and probe.is_file()
        except (OSError, subprocess.TimeoutExpired):
            works = False
        probe.unlink(missing_ok=True)
        if not works:
            refused.touch()
        return works

    def _remove_other_installs(self) -> None:
        """What an earlier Spark of this folder left (a reinstalled or copied virtualenv)."""
        for entry in self.folder.glob("spark-*"):
            if not entry.name.startswith(f"spark-{self.key}."):
                with contextlib.suppress(OSError):
                    entry.unlink()

    def _settle(self) -> bool:
        """Check each settled dump: the first that passes becomes the archive, the rest go.
        True when a planned dump is still pending."""
        pending, now = False, time.time()
        for plan in sorted(self.folder.glob(f"spark-{self.key}.*.json")):
            dump = plan.with_suffix(".dump")
            try:
                record = json.loads(plan.read_text())
                writing = _alive(record.get("pid"))
                if writing or (dump.is_file() and now - dump.stat().st_mtime < SETTLED_SECONDS):
                    pending = True
                    continue
                if (
                    dump.is_file()
                    and not self.archive.is_file()
                    and "class_path" in record
                    and self.check(dump, record["java_home"], record["class_path"])
                ):
                    os.replace(dump, self.archive)
                    self._remove_other_installs()
            except (OSError, ValueError):
                pass
            for leftover in (dump, plan):
                leftover.unlink(missing_ok=True)
        for dump in self.folder.glob(f"spark-{self.key}.*.dump"):  # its plan is gone
            with contextlib.suppress(OSError):
                if not dump.with_suffix(".json").exists() and now - dump.stat().st_mtime > 3600:
                    dump.unlink()
        return pending


def _write_whole(path: Path, record: dict) -> None:
    """``record`` as JSON at ``path``, which no reader ever sees half-written."""
    staged = path.with_name(f"{path.name}.tmp")
    staged.write_text(json.dumps(record))
    os.replace(staged, path)


def _alive(pid) -> bool:
    """Whether process ``pid`` runs (as far as this user can tell)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def with_java_options(conf: dict[str, str], options: str) -> dict[str, str]:
    """``conf`` with ``options`` after the driver JVM options it already has."""
    if not options:
        return conf
    return {**conf, JAVA_OPTIONS: " ".join(filter(None, [conf.get(JAVA_OPTIONS), options]))}


def get_spark(spark: SparkSettings, storage: StorageSettings, app_name: str) -> SparkSession:
    """The session to run on, configured from the settings.

    With ``spark.master`` null the session the platform already has is returned (a Databricks
    cluster); otherwise a local session with the UI off, listening on loopback only, and a
    warehouse under the project.
    """
    if spark.master is None:
        session = SparkSession.builder.getOrCreate()
    else:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # read when the JVM starts
        # Python workers (UDFs, SparkTrials) must run this interpreter, with this environment's
        # packages, not whichever python3 comes first on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.appName(app_name)
            .master(spark.master)
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        starts = SparkContext._active_spark_context is None  # else getOrCreate reuses its JVM
        archive = ClassArchive(archive_folder()) if spark.class_archive and starts else None
        archived = archive.java_options() if archive else ""
        for key, value in with_java_options(spark.local_conf, archived).items():
            builder = builder.config(key, value)
        if storage.warehouse_dir is not None:
            builder = builder.config("spark.sql.warehouse.dir", str(storage.warehouse_dir))
        try:
            session = builder.getOrCreate()
        except BaseException:
            if archive:
                archive.abandon()
            raise
        session.sparkContext.setLogLevel("WARN")
        if archive:
            archive.started(session)
    # Runtime settings: applied even when an existing session is reused. Serverless compute
    # takes only a few settings, these two among them.
    session.conf.set("spark.sql.shuffle.partitions", str(spark.shuffle_partitions))
    session.conf.set("spark.sql.session.timeZone", spark.session_timezone)
    if not is_connect(session):  # Spark Connect moves data to pandas through Arrow anyway
        session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")  # fast pandas
    return session
