"""The model registry: aliases and the tags that tie a version to its code and data."""

from __future__ import annotations

import mlflow


def set_alias(model_name: str, alias: str, version: str) -> None:
    """Point ``alias`` of ``model_name`` at ``version``."""
    mlflow.MlflowClient().set_registered_model_alias(model_name, alias, version)


def tag_version(model_name: str, version: str, tags: dict[str, str]) -> None:
    client = mlflow.MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)


def alias_version(model_name: str, alias: str) -> str | None:
    """The version ``alias`` points at, or None when it points nowhere."""
    try:
        return mlflow.MlflowClient().get_model_version_by_alias(model_name, alias).version
    except mlflow.exceptions.MlflowException:
        return None
