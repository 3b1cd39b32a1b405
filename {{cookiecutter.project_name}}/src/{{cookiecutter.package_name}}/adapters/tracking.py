"""MLflow: where runs are tracked and models registered (SQLite locally, Databricks remotely)."""

from __future__ import annotations

from pathlib import Path

import mlflow

from ..config import TrackingSettings

_SQLITE = "sqlite:///"


def configure_tracking(tracking: TrackingSettings) -> str:
    """Point MLflow at the configured stores and return the experiment id.

    The experiment is created on first use, with the configured artifact location; a local
    SQLite store gets its folder created.
    """
    for uri in (tracking.tracking_uri, tracking.registry_uri):
        if uri and uri.startswith(_SQLITE):
            Path(uri[len(_SQLITE) :]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking.tracking_uri)
    if tracking.registry_uri:
        mlflow.set_registry_uri(tracking.registry_uri)
    experiment = mlflow.get_experiment_by_name(tracking.experiment_name)
    if experiment is None:
        experiment_id = mlflow.create_experiment(
            tracking.experiment_name, artifact_location=tracking.artifact_location
        )
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id
