"""The embedded default: local Spark with a warehouse, and MLflow on SQLite."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow

from {{ cookiecutter.package_name }}.adapters.tracking import configure_tracking
from {{ cookiecutter.package_name }}.config import Settings

from conftest import SHORT_JOBS

PACKAGE = "{{ cookiecutter.package_name }}"


def test_local_session_follows_the_settings(spark, local_settings: Settings) -> None:
    assert spark.conf.get("spark.sql.shuffle.partitions") == str(
        local_settings.spark.shuffle_partitions
    )
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.driver.bindAddress") == "127.0.0.1"  # not reachable from outside


def test_local_conf_reaches_the_jvm_it_starts(spark) -> None:
    ((key, options),) = SHORT_JOBS.items()
    given = spark.conf.get(key).split()
    assert given[: len(options.split())] == options.split()  # the class archive's come after
    # the JVM itself was started with them, not only told of them afterwards
    flags = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    assert set(given) <= set(flags.getInputArguments())


def test_tables_land_in_the_project_warehouse(spark, local_settings: Settings) -> None:
    spark.createDataFrame([(1, "a"), (2, "b")], "id int, v string").write.saveAsTable("smoke")
    assert spark.table("smoke").count() == 2
    assert (local_settings.storage.warehouse_dir / "smoke").is_dir()
    spark.sql("DROP TABLE smoke")


def test_tracking_is_created_once_and_reused(local_settings: Settings) -> None:
    first = configure_tracking(local_settings.tracking)
    assert configure_tracking(local_settings.tracking) == first
    experiment = mlflow.get_experiment(first)
    assert experiment.artifact_location == local_settings.tracking.artifact_location
    with mlflow.start_run() as run:
        mlflow.log_param("probe", 1)
    assert mlflow.get_run(run.info.run_id).data.params == {"probe": "1"}
    db = Path(local_settings.tracking.tracking_uri.removeprefix("sqlite:///"))
    assert db.is_file()
    assert db.parent == local_settings.root / ".local"


def test_ui_serves_the_local_store_on_loopback(local_settings: Settings) -> None:
    configure_tracking(local_settings.tracking)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", PACKAGE, "ui", "--port", str(port)]
    conf = ["--conf-dir", str(local_settings.root / "conf")]
    server = subprocess.Popen(
        [*command, *conf],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, "the UI stopped before it answered"
                assert time.monotonic() < deadline, "the UI did not answer within 120 s"
                time.sleep(1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the UI and the MLflow server it started
        server.wait(timeout=30)
