"""The model registry: loading versions by alias, moving aliases, and the tags of a version.

Works the same for Unity Catalog names (catalog.schema.model) and the workspace registry; the
registry URI in the settings decides which.
"""

from __future__ import annotations

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pyspark.sql import SparkSession

from ..errors import RegistryError
from ..model_inputs import Columns
from ..scoring import LoadedModel

# What the registries answer when a model (or version) is not there; every other failure
# (authentication, permission, network, a server error) is not "no model" and stops the step.
NOT_FOUND = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}


def _failed(error: MlflowException, doing: str) -> RegistryError:
    """A registry failure that is not "not found", as a one-line problem of the step."""
    detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else "no detail"
    return RegistryError(
        [
            f"the model registry ({mlflow.get_registry_uri()}) failed while {doing}: "
            f"{error.error_code}: {detail}; check the registry URI, the credentials and the "
            "network, then run the step again (nothing was judged or moved)"
        ]
    )


class Registry:
    """The model registry the tracking settings point at (configure tracking first): versions
    by alias, alias moves and version tags. Made by the platform on first use."""

    def __init__(self, client: mlflow.MlflowClient | None = None):
        self._client = client or mlflow.MlflowClient()

    def version_by_alias(self, name: str, alias: str) -> ModelVersion | None:
        """The version ``alias`` points at, or None when it points nowhere or the model is not
        registered yet. Any other failure of the registry is a ``RegistryError``: a champion
        that cannot be read is never taken for no champion."""
        try:
            model = self._client.get_registered_model(name)
        except MlflowException as error:
            if error.error_code in NOT_FOUND:
                return None
            raise _failed(error, f"reading model {name!r}") from None
        version = (model.aliases or {}).get(alias)
        if version is None:
            return None
        try:
            return self._client.get_model_version(name, str(version))
        except MlflowException as error:
            raise _failed(error, f"reading {name!r} version {version} (@{alias})") from None

    def alias_version(self, name: str, alias: str) -> str | None:
        """The version number ``alias`` points at, as text (stores differ: int or str), or
        None."""
        found = self.version_by_alias(name, alias)
        return str(found.version) if found else None

    def load(self, name: str, alias: str, spark: SparkSession) -> LoadedModel:
        """The version ``alias`` points at, loaded in its own flavor, with its input columns and
        the feature definitions it was trained on. A Spark ML model loads into ``spark``: it
        must exist first, for a step run as its own process has no session until it asks."""
        found = self.version_by_alias(name, alias)
        if found is None:
            raise RegistryError([f"model {name!r} has no version aliased @{alias}"])
        version = str(found.version)
        uri = f"models:/{name}/{version}"
        info = mlflow.models.get_model_info(uri)
        kind = "spark" if "spark" in info.flavors else "sklearn"
        if kind == "spark":
            if spark is None:  # mlflow.spark loads into the active session, which must exist
                raise ValueError(f"{name} version {version} is a Spark ML model: give a session")
            model = mlflow.spark.load_model(uri)
        else:
            model = mlflow.sklearn.load_model(uri)
        inputs = [(c.to_dict()["name"], c.to_dict()["type"]) for c in info.signature.inputs.inputs]
        tags = dict(found.tags or {})
        groups = [g for g in tags.get("features.groups", "").split(",") if g]
        return LoadedModel(
            name,
            version,
            found.run_id,
            kind,
            model,
            Columns.of_signature(inputs),
            uri,
            definitions=tags.get("features.definitions"),
            groups=groups,
            cohort=tags.get("features.cohort", ""),
            model_id=tags.get("model_id") or getattr(found, "model_id", None) or "",
        )

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` of ``name`` at ``version``: one registry write."""
        self._client.set_registered_model_alias(name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self._client.delete_registered_model_alias(name, alias)

    def tag_version(self, name: str, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self._client.set_model_version_tag(name, version, key, value)

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, newest first; none when the model is not registered."""
        try:
            found = self._client.search_model_versions(f"name = '{name}'")
        except MlflowException as error:
            if error.error_code in NOT_FOUND:
                return []
            raise _failed(error, f"listing the versions of {name!r}") from None
        return sorted(found, key=lambda version: int(version.version), reverse=True)

    def version_tags(self, name: str, version: str) -> dict[str, str]:
        return dict(self._client.get_model_version(name, version).tags)
