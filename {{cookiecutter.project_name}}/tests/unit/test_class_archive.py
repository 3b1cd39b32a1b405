"""The local JVM's class archive: planned by the first session, checked by the JVM before any
session uses it, never used half-written or damaged. The JVM here is the machine's own `java`;
no Spark session is started."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.adapters.spark import (
    JAVA_OPTIONS,
    QUIET,
    SETTLED_SECONDS,
    ClassArchive,
    usable,
    with_java_options,
)


def java_home() -> str:
    java = os.environ.get("JAVA_HOME")
    return java or str(Path(shutil.which("java")).resolve().parents[1])


def written_by_a_jvm(path: Path) -> None:
    """A real archive, small: the JVM's own classes, written as a session's JVM writes one."""
    java = Path(java_home()) / "bin" / "java"
    command = [str(java), f"-XX:ArchiveClassesAtExit={path}", "-version"]
    subprocess.run(command, capture_output=True, check=True, timeout=120)
    assert path.is_file()


def settled(path: Path) -> None:
    then = time.time() - SETTLED_SECONDS - 1
    os.utime(path, (then, then))


def ended_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def planned(folder: Path, jvm: int) -> tuple[ClassArchive, Path]:
    """A first session's archive: it plans a dump, and its JVM (process ``jvm``) started."""
    first = ClassArchive(folder)
    options = first.java_options()
    assert options.startswith("-XX:ArchiveClassesAtExit=")
    dump = Path(options.split()[0].split("=", 1)[1])
    record = {"pid": jvm, "java_home": java_home(), "class_path": str(folder)}
    first.plan.write_text(json.dumps(record))
    return first, dump


def test_the_first_session_plans_a_dump_and_the_next_waits_for_it(tmp_path: Path) -> None:
    first, dump = planned(tmp_path, jvm=os.getpid())  # a JVM that runs
    assert dump.parent == tmp_path and dump.suffix == ".dump" and not dump.exists()
    assert ClassArchive(tmp_path).java_options() == ""  # its JVM still runs: no second plan
    written_by_a_jvm(dump)
    settled(dump)
    assert ClassArchive(tmp_path).java_options() == ""  # and may still be writing it
    assert dump.exists() and first.plan.exists()


def test_a_just_written_dump_is_left_to_settle(tmp_path: Path) -> None:
    first, dump = planned(tmp_path, jvm=ended_pid())
    written_by_a_jvm(dump)
    assert ClassArchive(tmp_path).java_options() == ""
    assert dump.exists() and first.plan.exists()


def test_a_settled_dump_the_jvm_accepts_becomes_the_archive(tmp_path: Path) -> None:
    first, dump = planned(tmp_path, jvm=ended_pid())
    written_by_a_jvm(dump)
    settled(dump)
    stale = tmp_path / "spark-0000000000000000.jsa"  # another Spark's, copied with the venv
    stale.write_bytes(b"old")
    later = ClassArchive(tmp_path)
    assert later.java_options() == f"-XX:SharedArchiveFile={later.archive} {QUIET}"
    assert later.archive.is_file() and not dump.exists() and not first.plan.exists()
    assert not stale.exists()
    assert (
        ClassArchive(tmp_path).java_options().startswith(f"-XX:SharedArchiveFile={later.archive}")
    )


def test_a_plan_whose_jvm_died_without_a_dump_is_removed(tmp_path: Path) -> None:
    first, dump = planned(tmp_path, jvm=ended_pid())  # killed, say, before it could write
    later = ClassArchive(tmp_path)
    assert later.java_options().startswith("-XX:ArchiveClassesAtExit=")  # planned anew
    assert not first.plan.exists() and later.plan.exists()


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_dump_is_refused_by_the_jvm_and_removed(tmp_path: Path, damage: str) -> None:
    first, dump = planned(tmp_path, jvm=ended_pid())
    written_by_a_jvm(dump)
    data = bytearray(dump.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        middle = len(data) // 2
        data[middle : middle + 4096] = bytes(4096)
    dump.chmod(0o644)
    dump.write_bytes(bytes(data))
    assert not usable(dump, java_home(), str(tmp_path))
    settled(dump)
    later = ClassArchive(tmp_path)
    options = later.java_options()
    assert not later.archive.exists() and not dump.exists() and not first.plan.exists()
    assert options.startswith("-XX:ArchiveClassesAtExit=")  # no pending plan: a new one


def test_a_dump_whose_session_never_recorded_its_jvm_is_removed(tmp_path: Path) -> None:
    first = ClassArchive(tmp_path, check=lambda *args: pytest.fail("checked without a JVM"))
    dump = Path(first.java_options().split()[0].split("=", 1)[1])
    first.plan.write_text(json.dumps({"pid": ended_pid()}))  # `started` never ran
    written_by_a_jvm(dump)
    settled(dump)
    assert ClassArchive(tmp_path).java_options().startswith("-XX:ArchiveClassesAtExit=")
    assert not dump.exists() and not first.plan.exists()


def test_an_old_dump_without_its_plan_is_removed(tmp_path: Path) -> None:
    stray = ClassArchive(tmp_path).archive.with_suffix(".0123456789ab.dump")
    written_by_a_jvm(stray)
    ClassArchive(tmp_path).abandon()
    assert ClassArchive(tmp_path).java_options().startswith("-XX:ArchiveClassesAtExit=")
    assert stray.exists()  # young: it may belong to a plan being written
    then = time.time() - 3601
    os.utime(stray, (then, then))
    ClassArchive(tmp_path).java_options()
    assert not stray.exists()


def test_a_java_that_refuses_the_options_is_not_given_them(tmp_path: Path, monkeypatch) -> None:
    java, calls = tmp_path / "java" / "bin" / "java", tmp_path / "calls"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\necho 'Unrecognized option' >&2\nexit 1\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(java.parents[1]))
    folder = tmp_path / "archives"
    assert ClassArchive(folder).java_options() == ""
    assert [p.suffix for p in folder.iterdir()] == [".refused"]
    assert ClassArchive(folder).java_options() == ""
    assert len(calls.read_text().splitlines()) == 1  # asked once


def test_a_session_that_did_not_start_leaves_no_plan(tmp_path: Path) -> None:
    first = ClassArchive(tmp_path)
    assert first.java_options().startswith("-XX:ArchiveClassesAtExit=")
    first.abandon()
    assert list(tmp_path.iterdir()) == []
    assert ClassArchive(tmp_path).java_options().startswith("-XX:ArchiveClassesAtExit=")


def test_a_folder_that_cannot_be_written_means_no_archive(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    archive = ClassArchive(blocked / "archives")
    assert archive.java_options() == "" and archive.plan is None


def test_the_archive_options_follow_the_configured_ones() -> None:
    mine = {JAVA_OPTIONS: "-XX:+UseSerialGC", "spark.x": "1"}
    combined = with_java_options(mine, "-XX:SharedArchiveFile=/a.jsa")
    assert combined == {
        JAVA_OPTIONS: "-XX:+UseSerialGC -XX:SharedArchiveFile=/a.jsa",
        "spark.x": "1",
    }
    assert with_java_options({}, "-XX:SharedArchiveFile=/a.jsa") == {
        JAVA_OPTIONS: "-XX:SharedArchiveFile=/a.jsa"
    }
    assert with_java_options(mine, "") is mine
