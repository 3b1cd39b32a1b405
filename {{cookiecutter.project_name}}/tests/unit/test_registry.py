"""The registry adapter tells "not there" from "cannot tell": a model or alias that does not
exist reads as none, any other failure of the registry is a one-line RegistryError (exit 4)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.package_name }}.adapters.registry import Registry
from {{ cookiecutter.package_name }}.errors import RegistryError


@pytest.fixture
def store(tmp_path: Path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setattr(mlflow, "get_registry_uri", lambda: uri)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_a_model_or_alias_that_is_not_there_reads_as_none(store) -> None:
    registry = Registry(store)
    assert registry.version_by_alias("risk", "champion") is None  # no such model
    assert registry.versions("risk") == []
    store.create_registered_model("risk")
    assert registry.version_by_alias("risk", "champion") is None  # no such alias
    version = store.create_model_version("risk", source="file:///nowhere").version
    store.set_registered_model_alias("risk", "champion", version)
    assert registry.alias_version("risk", "champion") == str(version)
    assert [v.version for v in registry.versions("risk")] == [version]


def test_a_registry_that_fails_is_a_registry_error_not_no_model(monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    uri = "http://127.0.0.1:9"  # nothing listens: connection refused
    registry = Registry(mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri))
    monkeypatch.setattr(mlflow, "get_registry_uri", lambda: uri)
    for call in (
        lambda: registry.version_by_alias("risk", "champion"),
        lambda: registry.versions("risk"),
    ):
        with pytest.raises(RegistryError) as error:
            call()
        [line] = error.value.problems
        assert line.startswith(f"the model registry ({uri}) failed while ")
        assert "\n" not in line and error.value.exit_code == 4
