"""MLflow: where runs are tracked (SQLite locally, Databricks remotely), and what they hold."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Metric, Param, RunTag

from ..config import TrackingSettings
from ..tuners import Trial
from . import files

_SQLITE = "sqlite:///"
HOST_TAG, PID_TAG = "mlops.host", "mlops.pid"  # who runs a run: to tell when it was left behind


def configure_tracking(tracking: TrackingSettings) -> str:
    """Point MLflow at the configured stores and return the experiment id.

    The experiment is created on first use, with the configured artifact location; a local
    SQLite store gets its folder created.
    """
    # MLflow announces creating and migrating a SQLite store at INFO on every fresh one: not
    # news to a person reading a step's output (its warnings still show)
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
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


class GitError(Exception):
    """git is not there, or refused; the message is what it said."""


def git_output(root: Path, *args: str) -> str:
    """What ``git <args>`` prints in ``root``, as it printed it (porcelain lines may start with
    a space); GitError with git's own message when git is missing or fails."""
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = (getattr(error, "stderr", "") or str(error)).strip()
        raise GitError(f"git {' '.join(args)}: {detail or 'failed'}") from None
    return done.stdout


def _git(root: Path, *args: str) -> str | None:
    try:
        return git_output(root, *args)
    except GitError:
        return None


def git_commit(root: Path) -> str:
    """The commit the code runs from: GIT_COMMIT when set, else git's HEAD, else "unknown"."""
    if os.environ.get("GIT_COMMIT"):
        return os.environ["GIT_COMMIT"]
    head = _git(root, "rev-parse", "HEAD")
    return head.strip() if head else "unknown"


def git_changes(root: Path) -> list[str] | None:
    """The files with uncommitted changes (untracked ones too, less what git ignores), or
    None when git cannot tell (no git, not a repository)."""
    if os.environ.get("GIT_COMMIT"):  # a checkout of exactly that commit
        return []
    status = _git(root, "status", "--porcelain")
    return None if status is None else [line[3:] for line in status.splitlines() if line]


def git_state(root: Path) -> tuple[str, str]:
    """(commit, dirty): dirty is "true", "false", or "unknown" when git cannot tell."""
    changes = git_changes(root)
    return git_commit(root), "unknown" if changes is None else str(bool(changes)).lower()


@dataclass(frozen=True)
class Run:
    """A tracked run as the steps see it: its id, and (when read back) its status and tags."""

    id: str
    status: str = "RUNNING"
    tags: dict[str, str] = field(default_factory=dict)


def _process_tags() -> dict[str, str]:
    return {HOST_TAG: files.this_host(), PID_TAG: str(os.getpid())}


class Tracking:
    """The project's experiment: its runs, what they record, and the code they ran from.
    Made by the platform on first use; making it points MLflow (runs and registry) at the
    configured stores."""

    def __init__(self, settings: TrackingSettings, root: Path):
        self.experiment_id = configure_tracking(settings)
        self.root = root
        self._client = mlflow.MlflowClient()

    @contextmanager
    def start_run(
        self, name: str, tags: dict[str, str], started: float | None = None
    ) -> Iterator[Run]:
        """A new run (the active one until the block ends; FAILED if it raises), tagged with
        this host and process. ``started`` (epoch seconds) dates its start back to when the
        work began, for a step that opens its run only once its input has been accepted."""
        tags = {**tags, **_process_tags()}
        if started is None:
            opened = mlflow.start_run(experiment_id=self.experiment_id, run_name=name, tags=tags)
        else:
            created = self._client.create_run(
                self.experiment_id, start_time=int(started * 1000), tags=tags, run_name=name
            )
            opened = mlflow.start_run(run_id=created.info.run_id)
        with opened as run:
            yield Run(run.info.run_id)

    def code_state(self) -> tuple[str, str]:
        """(commit, dirty) of the code the runs run from; see ``git_state``."""
        return git_state(self.root)

    def log_trials(self, parent_run_id: str, trials: list[Trial], tuner: str) -> None:
        """Each tuning trial as a run nested under ``parent_run_id``, written in one batch
        each, the same way whichever ``tuner`` (hyperopt, optuna) ran it."""
        client = self._client
        for trial in trials:
            started = int(trial.started * 1000)
            run = client.create_run(
                self.experiment_id,
                start_time=started,
                tags={
                    "mlflow.parentRunId": parent_run_id,
                    "trial": str(trial.number),
                    "tuner": tuner,
                    **_process_tags(),
                },
                run_name=f"trial-{trial.number:03d}",
            )
            now = int(time.time() * 1000)
            client.log_batch(
                run.info.run_id,
                metrics=[Metric(k, v, now, 0) for k, v in trial.metrics.items()],
                params=[Param(k, str(v)) for k, v in trial.params.items()],
                tags=[RunTag("status", trial.status)],
            )
            status = "FINISHED" if trial.status == "ok" else "FAILED"
            ended = started + int(trial.seconds * 1000)
            client.set_terminated(run.info.run_id, status, end_time=ended)

    def log_run_contents(
        self,
        params: dict[str, Any],
        metrics: dict[str, float],
        tags: dict[str, str],
        figures: dict[str, Any],
        documents: dict[str, Any],
        model_id: str = "",
    ) -> None:
        """Everything a run records besides its model, into the active run; the metrics linked
        to the logged model ``model_id`` as well, when given (MLflow 3)."""
        mlflow.log_params({k: str(v) for k, v in params.items()})
        mlflow.log_metrics(metrics, model_id=model_id or None)
        mlflow.set_tags(tags)
        for path, figure in figures.items():  # a matplotlib figure, or PNG bytes already drawn
            if isinstance(figure, bytes):
                _log_bytes(figure, path)
            else:
                mlflow.log_figure(figure, path)
        for path, document in documents.items():  # text as it is, anything else as JSON/YAML
            if isinstance(document, str):
                mlflow.log_text(document, path)
            else:
                mlflow.log_dict(document, path)

    def run_record(
        self, run_id: str, documents: dict[str, str], images: dict[str, str]
    ) -> dict[str, Any]:
        """What a finished run recorded: its params and metrics, and the artifacts asked for
        ({name: artifact path}; JSON documents parsed, images as bytes). An artifact the run
        does not hold (a version trained before it was recorded) is None."""
        import json
        import tempfile

        from mlflow.artifacts import download_artifacts
        from mlflow.exceptions import MlflowException

        run = self._client.get_run(run_id)
        found: dict[str, Any] = {"params": dict(run.data.params), "metrics": dict(run.data.metrics)}
        with tempfile.TemporaryDirectory() as folder:
            for kind, wanted in (("json", documents), ("image", images)):
                for name, path in wanted.items():
                    try:
                        local = Path(
                            download_artifacts(run_id=run_id, artifact_path=path, dst_path=folder)
                        )
                    except (MlflowException, OSError):
                        found[name] = None
                        continue
                    found[name] = (
                        json.loads(local.read_text()) if kind == "json" else local.read_bytes()
                    )
        return found

    def attach_text(self, run_id: str, text: str, path: str) -> str:
        """``text`` as the artifact ``path`` of the run ``run_id`` (finished or not); its URI."""
        self._client.log_text(run_id, text, path)
        return f"runs:/{run_id}/{path}"

    def fail_orphan_runs(self) -> list[str]:
        """Mark FAILED the runs of the experiment left RUNNING by a process of this host that
        has ended (a killed step, a crashed machine); one line for each. Runs of other hosts
        cannot be judged from here and are left as they are."""
        client = self._client
        query = f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{files.this_host()}'"
        found = []
        for run in client.search_runs([self.experiment_id], query, max_results=1000):
            pid = run.data.tags.get(PID_TAG, "")
            if not files.gone(files.this_host(), pid):
                continue
            client.set_tag(run.info.run_id, "mlops.failed", f"process {pid} ended during the run")
            client.set_terminated(run.info.run_id, "FAILED")
            name = run.data.tags.get("mlflow.runName", run.info.run_id)
            found.append(
                f"MLflow run {run.info.run_id} ({name}) was left RUNNING by process {pid}, "
                "which has ended: marked FAILED"
            )
        return found

    def latest_run(self, query: str) -> Run | None:
        """The newest run of the experiment that ``query`` (an MLflow filter) selects, or
        None."""
        found = self._client.search_runs(
            [self.experiment_id], query, order_by=["attributes.start_time DESC"], max_results=1
        )
        if not found:
            return None
        return Run(found[0].info.run_id, found[0].info.status, dict(found[0].data.tags))

    def step_seconds(self, steps: list[str]) -> dict[str, float]:
        """How long the newest finished run of each step took (its tag ``step``), in seconds;
        a step with no finished run is left out. Read from the store, so it holds whether the
        steps ran in one process (`run`) or each as its own (a Databricks job's tasks)."""
        found = {}
        for step in steps:
            runs = self._client.search_runs(
                [self.experiment_id],
                f"tags.step = '{step}' and attributes.status = 'FINISHED'",
                order_by=["attributes.start_time DESC"],
                max_results=1,
            )
            if runs and runs[0].info.end_time:
                found[step] = round((runs[0].info.end_time - runs[0].info.start_time) / 1000, 1)
        return found

    def set_run_tags(self, run_id: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self._client.set_tag(run_id, key, value)


def _log_bytes(data: bytes, path: str) -> None:
    """``data`` as the artifact ``path`` of the active run, as it is."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / Path(path).name
        local.write_bytes(data)
        mlflow.log_artifact(str(local), str(Path(path).parent) if "/" in path else None)


def serve_ui(tracking: TrackingSettings, port: int) -> int:
    """The MLflow UI on 127.0.0.1 over the configured local stores, one worker, until stopped."""
    from ..errors import ConfigError

    if not tracking.tracking_uri.startswith(_SQLITE):
        raise ConfigError(
            [
                f"tracking.tracking_uri is {tracking.tracking_uri!r}: the UI serves a local store; "
                "open the workspace's MLflow pages instead"
            ]
        )
    command = [
        sys.executable, "-m", "mlflow", "ui",
        "--backend-store-uri", tracking.tracking_uri,
        "--registry-store-uri", tracking.registry_uri or tracking.tracking_uri,
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    environment = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    print(f"MLflow UI on http://127.0.0.1:{port} (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.run(command, env=environment, check=False).returncode
    except KeyboardInterrupt:
        return 0
