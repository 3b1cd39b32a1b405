"""Shared fixtures: private copies of the tests' own configuration, small environments, one
local SparkSession.

The tests never read conf/: that is the team's, to change. They read tests/example_conf/, the
health-plan example's configuration as the project was generated (the generator copies it
there), and examples/one_table/, the one-table example. Only tests/test_your_conf.py reads
conf/, to say whether it is consistent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import (
    Settings,
    load_settings,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONF = PROJECT_ROOT / "tests" / "example_conf"
ONE_TABLE = PROJECT_ROOT / "examples" / "one_table"

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


@pytest.fixture(scope="session")
def spark(local_settings: Settings):
    """The one SparkSession of the test run, built the way the pipeline builds it."""
    from {{ cookiecutter.package_name }}.adapters.spark import get_spark

    session = get_spark(local_settings.spark, local_settings.storage, app_name="tests")
    yield session
    session.stop()
