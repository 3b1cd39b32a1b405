"""Shared fixtures: a private copy of conf/ per test, and one local SparkSession per test run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import (
    Settings,
    load_settings,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    """A copy of conf/ that a test may edit; relative paths in it resolve under ``tmp_path``."""
    target = tmp_path / "conf"
    shutil.copytree(PROJECT_ROOT / "conf", target)
    return target


@pytest.fixture(scope="session")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The local environment's settings, rooted in a temporary folder."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf")
    return load_settings("local", root / "conf")


@pytest.fixture(scope="session")
def spark(local_settings: Settings):
    """The one SparkSession of the test run, built the way the pipeline builds it."""
    from {{ cookiecutter.package_name }}.adapters.spark import get_spark

    session = get_spark(local_settings.spark, local_settings.storage, app_name="tests")
    yield session
    session.stop()
