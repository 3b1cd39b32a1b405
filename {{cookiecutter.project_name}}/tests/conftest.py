"""Shared fixtures: private copies of the tests' own configuration, small environments, one
local SparkSession per test process (`make test` runs two: pytest-xdist workers).

The tests never read conf/: that is the team's, to change. They read tests/example_conf/, the
health-plan example's configuration as the project was generated (the generator copies it
there), and examples/one_table/, the one-table example. Only tests/test_your_conf.py reads
conf/, to say whether it is consistent.
"""

from __future__ import annotations

import html as html_module
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import (
    Settings,
    load_settings,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# `make test` runs the suite in pytest-xdist workers, whose __main__ has no file. pyspark.sql.connect
# takes that for a doctest run and exits the process (MLflow imports it to save a Spark ML model):
# name the worker's __main__, as a script's would be named.
_main = sys.modules["__main__"]
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "pytest-xdist-worker"
EXAMPLE_CONF = PROJECT_ROOT / "tests" / "example_conf"
ONE_TABLE = PROJECT_ROOT / "examples" / "one_table"


class _Deprecations(logging.Handler):
    """MLflow's deprecation notices that come through its logger rather than as warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "deprecat" in record.getMessage().lower():
            self.found.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(autouse=True)
def no_mlflow_deprecations():
    """A deprecated MLflow call fails the test that made it. MLflow says some deprecations in
    its log (a model logged with ``artifact_path=``); the rest are FutureWarnings, which
    pyproject.toml makes errors when the package's own code is the caller."""
    handler, logger = _Deprecations(), logging.getLogger("mlflow")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
    assert not handler.found, f"deprecated MLflow calls: {handler.found}"


# Spark's Python workers (SparkTrials) must import the package as the tests do, installed or not.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(PROJECT_ROOT / "src"), os.environ.get("PYTHONPATH")) if p
)


def deep_update(base: dict, changes: dict) -> dict:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_update(merged[key], value)
        else:
            merged[key] = value
    return merged


def add_env(conf_dir: Path, name: str, changes: dict, base: str = "local") -> None:
    """Write conf/envs/<name>.yml: the ``base`` overlay with ``changes`` merged in."""
    overlay = yaml.safe_load((conf_dir / "envs" / f"{base}.yml").read_text()) or {}
    (conf_dir / "envs" / f"{name}.yml").write_text(yaml.safe_dump(deep_update(overlay, changes)))


TINY = {  # enough members for a stable holdout AUC, few trials
    "ingest": {"synthetic": {"members": 10_000}},
    "training": {"max_evals": 4},
}


def copy_one_table(root: Path) -> Path:
    """The one-table example (its data.yml, feature files and data) under ``root``, where its
    relative data path resolves; returns its data folder."""
    target = root / "examples" / "one_table"
    shutil.copytree(ONE_TABLE, target)
    return target


@pytest.fixture
def one_table(tmp_path: Path) -> tuple[Path, Path]:
    """(conf folder, data folder): the example's project settings with the one-table example's
    data, as `make run DATA=examples/one_table` reads them, under ``tmp_path``."""
    shutil.copytree(EXAMPLE_CONF, tmp_path / "conf")
    return tmp_path / "conf", copy_one_table(tmp_path)


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    """A copy of the example's conf that a test may edit; relative paths in it resolve under
    ``tmp_path``."""
    target = tmp_path / "conf"
    shutil.copytree(EXAMPLE_CONF, target)
    return target


@pytest.fixture(scope="session")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The local environment's settings, rooted in a temporary folder."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(EXAMPLE_CONF, root / "conf")
    return load_settings("local", root / "conf")


@pytest.fixture(scope="session", autouse=True)
def one_mlflow_schema(tmp_path_factory: pytest.TempPathFactory):
    """Every new SQLite store of the session is given the tables of one made at its start.

    MLflow creates a store's tables by running its schema migrations, about a second each here,
    and the suite makes dozens of stores. The first is made by MLflow as any store is; the
    others are copies of it (SQLite's backup), made where MLflow would run the migrations. A
    store that is not a SQLite file, and an MLflow without that hook, are left to MLflow.
    """
    import sqlite3
    from contextlib import closing

    import sqlalchemy
    from mlflow.store.db import utils
    from mlflow.store.model_registry import sqlalchemy_store as registry_store

    made_by_mlflow = getattr(utils, "_initialize_tables", None)
    if made_by_mlflow is None:
        yield
        return
    seed = tmp_path_factory.mktemp("mlflow-schema") / "empty.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{seed}")
    made_by_mlflow(engine)
    engine.dispose()

    def from_seed(engine) -> None:
        database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        if not database or database == ":memory:":
            made_by_mlflow(engine)
            return
        with closing(sqlite3.connect(seed)) as source, closing(sqlite3.connect(database)) as target:
            source.backup(target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, "_initialize_tables", from_seed)
        if hasattr(registry_store, "_initialize_tables"):  # imported by name there
            patch.setattr(registry_store, "_initialize_tables", from_seed)
        yield


# The test session runs hundreds of small jobs: a JVM that stops at quick compilation and collects
# garbage on one thread starts each sooner (about a fifth off a small pipeline here; a long run
# is slower with it). Set through spark.local_conf, as conf/envs/ci.yml sets it.
SHORT_JOBS = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


@pytest.fixture(scope="session")
def spark(local_settings: Settings):
    """The one SparkSession of the test run, built the way the pipeline builds it."""
    from {{ cookiecutter.package_name }}.adapters.spark import get_spark

    spark = local_settings.spark.model_copy(update={"local_conf": SHORT_JOBS})
    session = get_spark(spark, local_settings.storage, app_name="tests")
    yield session
    session.stop()


# A headless browser, to see that a report renders: REPORT_BROWSER names one, else the first of
# these on PATH. Without one the rendering test is skipped, unless REPORT_BROWSER_REQUIRED=1
# (the template's own suite sets it, and installs Debian's chromium).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Injected into a copy of the page: once it has loaded, what the browser laid out.
_LAYOUT_PROBE = """<script>
window.addEventListener("load", () => {
  const sections = [...document.querySelectorAll("section")].map((s) => ({
    id: s.id, heading: (s.querySelector("h2") || {}).textContent || "",
    height: s.getBoundingClientRect().height}));
  const images = [...document.images].map((i) => ({
    alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}));
  const out = document.createElement("pre");
  out.id = "layout-probe";
  out.textContent = JSON.stringify({sections, images});
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="session")
def browser() -> str:
    """The path of a headless-capable Chromium."""
    found = os.environ.get("REPORT_BROWSER") or next(
        (shutil.which(b) for b in BROWSERS if shutil.which(b)), None
    )
    if not found:
        message = f"no headless browser: none of {', '.join(BROWSERS)} is on PATH (REPORT_BROWSER)"
        if os.environ.get("REPORT_BROWSER_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
    return subprocess.run(
        [browser, *flags, *args], capture_output=True, text=True, timeout=120, check=True
    )


def rendered(browser: str, html: str, folder: Path) -> tuple[dict, Path]:
    """What the browser laid out for the page ``html`` (its sections and images, measured after
    load), and a screenshot of it."""
    page = folder / "page.html"
    page.write_text(html.replace("</body>", _LAYOUT_PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(browser, "--virtual-time-budget=10000", "--dump-dom", page.as_uri()).stdout
    probe = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, re.S)
    assert probe, f"the page did not finish loading in the browser:\n{dom[:2000]}"
    shot = folder / "page.png"
    _chromium(browser, "--window-size=1200,3000", f"--screenshot={shot}", page.as_uri())
    return json.loads(html_module.unescape(probe.group(1))), shot
