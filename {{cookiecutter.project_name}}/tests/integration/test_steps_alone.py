"""The model steps work as processes of their own, as each Databricks job task is one: no Spark
session, MLflow connection or Python state is shared with the step before. Here for a Spark ML
estimator, whose model needs a Spark session before it can be loaded; `make pipeline-check`
(CI) runs all eight steps of the configured, single-node estimator that way (`run --isolated`). A data problem met
by a step alone is an exit code and a message, not a traceback."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main

from conftest import EXAMPLE_CONF, PROJECT_ROOT, SHORT_JOBS, add_env

MODEL_STEPS = ["train", "validate", "deploy", "infer", "deliver"]
ALONE = {
    "ingest": {"synthetic": {"members": 2_000}},
    "split": {"holdout_fraction": 0.3},
    "gate": {"floors": {}},  # a tiny plan need not meet the real floors: this is about processes
    "training": {"estimator": "spark_logistic_regression", "max_evals": 2},
    "delivery": {"top_n": 50},
    "spark": {"local_conf": SHORT_JOBS},  # each step starts a JVM of its own
}


def step(conf: Path, name: str, env: str = "alone") -> subprocess.CompletedProcess:
    """``python -m <package> <name>`` in a process of its own, as a job task runs it."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", name]
    return subprocess.run(
        [*command, "--env", env, "--conf-dir", str(conf)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )


def here(conf: Path, name: str) -> None:
    """A step in this process, where the order of the steps, not their isolation, matters."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([name, "--env", "alone", "--conf-dir", str(conf)]) == 0


@pytest.fixture(scope="module")
def ran(spark, tmp_path_factory) -> tuple[Path, dict[str, subprocess.CompletedProcess]]:
    """(conf folder, {step: its finished process}): the data steps here (they do not depend on
    the estimator), then each model step in a process of its own."""
    conf = tmp_path_factory.mktemp("alone") / "conf"
    shutil.copytree(EXAMPLE_CONF, conf)
    add_env(conf, "alone", ALONE)
    for name in ("ingest", "validate-data", "features"):
        here(conf, name)
    done = {}
    for name in MODEL_STEPS:
        done[name] = step(conf, name)
        if done[name].returncode:
            break
    return conf, done


@pytest.mark.parametrize("name", MODEL_STEPS)
def test_a_spark_ml_model_step_runs_alone(ran, name: str) -> None:
    _, done = ran
    assert name in done, (
        f"an earlier step failed: {[(k, p.stderr[-2000:]) for k, p in done.items()]}"
    )
    assert done[name].returncode == 0, done[name].stderr[-3000:]
    assert "Traceback" not in done[name].stderr
    said = {
        "train": "@challenger",
        "validate": "PROMOTE",
        "deploy": "PROMOTED",
        "infer": "members scored for",
        "deliver": "50 of ",
    }
    assert said[name] in done[name].stdout


def test_a_data_problem_in_a_step_alone_is_exit_3_and_one_line(ran) -> None:
    conf, _ = ran
    add_env(conf, "broken", {**ALONE, "sources": {"events": {"required": ["code"]}}}, base="alone")
    again = step(conf, "features", "broken")  # the declaration changed; the table did not
    assert again.returncode == 3, again.stderr
    assert (
        "table 'events' was validated against another declaration of source 'events'"
        in again.stderr
    )
    assert "run ingest and validate-data again" in again.stderr
    assert "Traceback" not in again.stderr
