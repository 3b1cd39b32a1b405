"""The SparkSession: the platform's own on Databricks, a small local one everywhere else."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from ..caching import is_connect
from ..config import SparkSettings, StorageSettings


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
        for key, value in spark.local_conf.items():
            builder = builder.config(key, value)
        if storage.warehouse_dir is not None:
            builder = builder.config("spark.sql.warehouse.dir", str(storage.warehouse_dir))
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("WARN")
    # Runtime settings: applied even when an existing session is reused. Serverless compute
    # takes only a few settings, these two among them.
    session.conf.set("spark.sql.shuffle.partitions", str(spark.shuffle_partitions))
    session.conf.set("spark.sql.session.timeZone", spark.session_timezone)
    if not is_connect(session):  # Spark Connect moves data to pandas through Arrow anyway
        session.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")  # fast pandas
    return session
