"""Crashes, races and a refusing disk in the pipeline's steps, on the one-table example run once:
a crash at any instant of a write leaves the old or the new version whole, two writers of one
table get a clear error, what a killed run left is cleaned up when a step starts, and `deliver`
writes its table, CSV and report or none of them. Every crash is injected at a named point of
the adapters (faults.py), in this process by raising, or in a child process by ending
it there with os._exit, as a kill would; none is timed. Tests run in file order on one project."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
from pyspark.sql import functions as F

from {{ cookiecutter.package_name }} import faults
from {{ cookiecutter.package_name }}.adapters.tables import POINTER, LocalTables
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import Settings, load_settings

from conftest import EXAMPLE_CONF, PROJECT_ROOT, SHORT_JOBS, add_env, copy_one_table, deep_update

STEPS = ["ingest", "validate-data", "features", "train", "validate", "deploy", "infer", "deliver"]
DAY = "2025-06-30"
FAST = {
    "training": {"max_evals": 3},
    "gate": {"floors": {"roc_auc": 0.6}},
    "features": {"snapshots": {"dates": ["2025-04-30", "2025-05-31", DAY]}},
    "spark": {"local_conf": SHORT_JOBS},  # for the steps run as processes of their own
}


class Crash(BaseException):
    """A crash: not an Exception, so no `except Exception` cleans up after it, as after a
    kill."""


@dataclass
class Project:
    conf: Path
    data: Path
    settings: Settings
    tables: LocalTables

    def cli(self, step: str, env: str = "faults") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(self.args(step, env))
        return code, out.getvalue(), err.getvalue()

    def args(self, step: str, env: str = "faults") -> list[str]:
        return [step, "--env", env, "--conf-dir", str(self.conf), "--data-dir", str(self.data)]

    def child(self, step: str, point: str, table: str, then: str) -> subprocess.CompletedProcess:
        """``step`` in a process of its own whose hook, at ``point`` of ``table``, either
        ends the process (``then="die"``) or runs ``then`` as Python."""
        action = "os._exit(137)" if then == "die" else then
        script = textwrap.dedent(
            f"""
            import os, sys
            from {{ cookiecutter.package_name }} import faults
            from {{ cookiecutter.package_name }}.cli import main
            def hook(name, **where):
                if name == {point!r} and where.get("table") == {table!r}:
                    {action}
            faults.hook = hook
            sys.exit(main(sys.argv[1:]))
            """
        )
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
        return subprocess.run(
            [sys.executable, "-c", script, *self.args(step)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    def pointer(self, name: str) -> dict:
        return json.loads((self.tables.path(name) / POINTER).read_text())


@pytest.fixture(scope="module")
def project(spark, tmp_path_factory) -> Project:
    """The one-table example with three snapshot dates, run end to end once."""
    root = tmp_path_factory.mktemp("faults")
    shutil.copytree(EXAMPLE_CONF, root / "conf")
    conf, data = root / "conf", copy_one_table(root)
    add_env(conf, "faults", FAST)  # the same stores, other feature definitions:
    add_env(conf, "redefined", deep_update(FAST, {"features": {"max_staleness_days": 400}}))
    settings = load_settings("faults", conf, data)
    storage = settings.storage
    made = Project(
        conf, data, settings, LocalTables(spark, storage.warehouse_dir / storage.schema_name)
    )
    for step in STEPS:
        code, out, err = made.cli(step)
        assert code == 0, out + err
    return made


def crash_at(point: str, table: str | None = None):
    def hook(name: str, **where) -> None:
        if name == point and table in (None, where.get("table")):
            raise Crash(name)

    return hook


def files_of(tables: LocalTables, name: str) -> dict[str, frozenset[int]]:
    """Each partition of the current version: the inodes of its data files."""
    return {
        part.name: frozenset(f.stat().st_ino for f in part.glob("*.parquet"))
        for part in tables.location(name).iterdir()
        if part.is_dir()
    }


def leftovers(tables: LocalTables, name: str) -> list[str]:
    """What is in the table's folder besides its pointer and the versions it names."""
    pointer = json.loads((tables.path(name) / POINTER).read_text())
    named = {POINTER, pointer["version"], pointer["previous"]}
    return sorted(p.name for p in tables.path(name).iterdir() if p.name not in named)


@pytest.mark.parametrize("point", ["table:version-complete", "table:pointer-staged"])
def test_a_crash_while_features_replaces_every_snapshot_leaves_the_old_table_whole(
    project, monkeypatch, point
) -> None:
    table = project.settings.features.table
    before, state = files_of(project.tables, table), project.tables.metadata(table)
    assert len(before) == 3
    monkeypatch.setattr(faults, "hook", crash_at(point, table))
    with pytest.raises(Crash):  # new definitions: every snapshot is recomputed, in one commit
        project.cli("features", env="redefined")
    monkeypatch.setattr(faults, "hook", faults._nothing)
    assert files_of(project.tables, table) == before  # no partition of the new version
    assert project.tables.metadata(table) == state
    code, out, err = project.cli("verify")
    assert code == 0, out + err
    assert "verified: features as mapped" in out


@pytest.mark.parametrize(
    ("step", "table", "point", "code", "said"),
    [
        ("validate-data", "discharges", "table:data-written", errno.ENOSPC, "the disk is full"),
        ("ingest", "raw_discharges", "table:locked", errno.EROFS, "the file system is read-only"),
    ],
)
def test_a_full_or_read_only_disk_is_exit_8_one_line_and_replaces_nothing(
    project, monkeypatch, step, table, point, code, said
) -> None:
    before = project.pointer(table)

    def refuse(name: str, **where) -> None:
        if name == point and where["table"] == table:
            raise OSError(code, os.strerror(code), str(where["path"]))

    monkeypatch.setattr(faults, "hook", refuse)
    exit_code, out, err = project.cli(step)
    assert exit_code == 8, out + err
    assert err.startswith("storage error (1), nothing more was done:")
    [line] = err.splitlines()[1:]
    assert line.strip().startswith(f"table {table!r}: cannot write {project.tables.path(table)}")
    assert line.endswith(f"{said} ({errno.errorcode[code]}); nothing was replaced")
    assert project.pointer(table) == before and leftovers(project.tables, table) == []


def test_two_infer_for_one_date_one_is_told_the_other_writes(project, monkeypatch) -> None:
    table = project.settings.inference.table
    second = {}

    def start_the_second(name: str, **where) -> None:  # while this one holds the lock
        if name == "table:data-written" and where["table"] == table and not second:
            second["done"] = project.child("infer", "none", "none", "pass")

    monkeypatch.setattr(faults, "hook", start_the_second)
    code, out, err = project.cli("infer")
    assert code == 0, out + err
    other = second["done"]
    assert other.returncode == 7, other.stdout + other.stderr
    said = other.stderr[other.stderr.index("busy (1), nothing more was done:") :].splitlines()
    assert len(said) == 2  # Spark's own start-up lines come before
    assert said[1].startswith(
        f"  another run is writing table {table!r} (pid {os.getpid()}, since "
    )
    assert "Traceback" not in other.stderr
    rows = project.tables.read(table).where(F.col("score_date") == DAY)
    assert rows.count() == 1500 == rows.select("patient_id").distinct().count()


def test_a_killed_infer_is_cleaned_up_when_the_next_step_starts(project) -> None:
    table = project.settings.inference.table
    before = project.pointer(table)
    killed = project.child("infer", "table:data-written", table, "die")
    assert killed.returncode == 137, killed.stdout + killed.stderr
    assert project.pointer(table) == before  # the predictions as they were
    [debris] = leftovers(project.tables, table)  # its half-made version
    lock = json.loads((project.tables.root / f".{table}.lock").read_text())
    child_pid = lock["pid"]  # its lock file, held by nobody now

    code, out, err = project.cli("infer")
    assert code == 0, out + err
    assert f"removed {project.tables.path(table) / debris}: a run that did not finish" in out
    assert f"(infer) was left RUNNING by process {child_pid}, which has ended: marked FAILED" in out
    assert leftovers(project.tables, table) == []
    assert not (project.tables.root / f".{table}.lock").exists()


def outputs(project: Project) -> tuple[Path, Path]:
    csv = project.settings.delivery.csv_dir / f"{project.settings.project.name}_{DAY}.csv"
    return csv, csv.with_name(csv.stem + "_report.json")


def staged(project: Project) -> list[Path]:
    return sorted(project.settings.delivery.csv_dir.glob(".*.partial"))


def test_deliver_to_an_unwritable_folder_fails_before_it_replaces_anything(
    project, monkeypatch
) -> None:
    table, folder = project.settings.delivery.table, project.settings.delivery.csv_dir
    before = project.pointer(table)
    csv, report = outputs(project)
    texts = csv.read_bytes(), report.read_bytes()

    def read_only(name: str, **where) -> None:
        if name == "files:staging":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(where["path"]))

    monkeypatch.setattr(faults, "hook", read_only)
    code, out, err = project.cli("deliver")
    assert code == 8, out + err
    [line] = err.splitlines()[1:]
    assert line.endswith(
        f"delivery.csv_dir {folder}: cannot write the worklist there: the file system is "
        "read-only (EROFS); nothing was replaced"
    )
    assert project.pointer(table) == before
    assert (csv.read_bytes(), report.read_bytes()) == texts and staged(project) == []


def test_a_crash_after_the_delivery_table_commit_is_finished_by_the_next_deliver(
    project, monkeypatch
) -> None:
    table = project.settings.delivery.table
    csv, report = outputs(project)
    old = csv.stat().st_ino, report.stat().st_ino
    monkeypatch.setattr(faults, "hook", crash_at("deliver:table-committed"))
    with pytest.raises(Crash):
        project.cli("deliver")
    monkeypatch.setattr(faults, "hook", faults._nothing)
    committed = project.tables.metadata(table)["files"]
    assert sorted(committed) == sorted([str(csv), str(report)])
    assert (csv.stat().st_ino, report.stat().st_ino) == old  # not moved yet
    assert sorted(map(str, staged(project))) == sorted(committed.values())

    code, out, err = project.cli("deliver")
    assert code == 0, out + err
    assert f"finished {csv}: the delivery that wrote it stopped after its commit" in out
    assert f"finished {report}: the delivery that wrote it stopped after its commit" in out
    assert staged(project) == []


def test_a_crash_before_the_delivery_table_commit_replaces_nothing(project, monkeypatch) -> None:
    table = project.settings.delivery.table
    before = project.pointer(table)
    csv, report = outputs(project)
    old = csv.stat().st_ino, report.stat().st_ino
    monkeypatch.setattr(faults, "hook", crash_at("deliver:files-staged"))
    with pytest.raises(Crash):
        project.cli("deliver")
    monkeypatch.setattr(faults, "hook", faults._nothing)
    assert project.pointer(table) == before
    assert (csv.stat().st_ino, report.stat().st_ino) == old
    left = staged(project)
    assert len(left) == 2
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    for path in left:  # as if staged by a process that has ended since
        path.rename(
            path.with_name(path.name.replace(f".{os.getpid()}.", f".{ended.stdout.strip()}."))
        )

    code, out, err = project.cli("deliver")
    assert code == 0, out + err
    assert out.count("the delivery that staged it stopped before its commit") == 2
    assert staged(project) == []


def test_a_registry_that_cannot_be_reached_is_exit_4_and_never_read_as_no_champion(
    project, monkeypatch
) -> None:
    # a connection refused by the registry is not "no champion": validate must not judge the
    # challenger on the floors alone, deploy must not move an alias, infer must not score
    add_env(
        project.conf,
        "unreachable",
        deep_update(FAST, {"tracking": {"registry_uri": "http://127.0.0.1:9"}}),
    )
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    tracking = mlflow.MlflowClient(project.settings.tracking.tracking_uri)
    experiment = tracking.get_experiment_by_name(project.settings.tracking.experiment_name)
    before = {run.info.run_id for run in tracking.search_runs([experiment.experiment_id])}
    for step in ("validate", "deploy", "infer"):
        code, out, err = project.cli(step, env="unreachable")
        assert code == 4, out + err
        assert "the model registry (http://127.0.0.1:9) failed while reading model" in err
        assert "nothing was judged or moved" in err and "Traceback" not in err
    new = [
        r for r in tracking.search_runs([experiment.experiment_id]) if r.info.run_id not in before
    ]
    # a step's own run may record that it failed; none records a gate decision or a score
    assert all(run.info.status == "FAILED" for run in new), [r.info for r in new]
    assert not [run for run in new if "gate.decision" in run.data.tags or run.data.metrics]
