"""Run and check the project's Databricks jobs from a CI/CD pipeline, through the Databricks SDK.

python -m tools.remote_jobs prepare --env test [--conf-dir conf]
python -m tools.remote_jobs submit --job-name NAME --commit SHA
    --env test [--skip-task deploy ...] [--attempt N] [--timeout-minutes 60] [--poll-seconds 30]
python -m tools.remote_jobs clean --env test [--conf-dir conf]
python -m tools.remote_jobs run --job-name NAME
    [--timeout-minutes 60] [--poll-seconds 30]
python -m tools.remote_jobs check --job-ids job_ids.json

``submit`` runs the tasks of an existing job once, at one git commit, as a one-time run, with the
settings of ``--env`` instead of the job's own environment: the job itself (its branch, schedule
and run history) is left alone, the run writes only to that environment's namespace (its
schema and the tables in it, its experiment, its registered model), and the tasks named by
``--skip-task`` (default ``deploy``) are left out. A pull request's run therefore never touches
staging's tables, model or aliases: ``submit`` refuses an environment that shares any of those
names with the job's own. ``prepare`` makes the namespace (after removing what an earlier run
left there) and ``clean`` removes it; both refuse an environment that shares a name with a
deployed one (dev, staging, prod). ``run`` starts the job as it is (e.g. a rollback). ``submit``
and ``run`` wait for the run, print its page once and each state change, and on failure the
error and trace of each failed task. ``check`` reads ``terraform output -json job_ids`` and
confirms every job exists.

The workspace and credentials come from the environment: DATABRICKS_HOST plus whatever
authentication the pipeline set up (a token, OAuth M2M or OIDC), as for any Databricks SDK client.

Exit codes: 0 the run succeeded / every job exists; 1 the run failed / check found a missing job or
an unusable file; 2 nothing could be done: bad arguments, no job by that name, missing
configuration, or an error from the Databricks API (one line on stderr); 3 the run did not end
within --timeout-minutes and was cancelled.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    DatabricksError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from databricks.sdk.service.catalog import VolumeType
from databricks.sdk.service.jobs import (
    GitSource,
    Job,
    Run,
    RunLifeCycleState,
    RunLifecycleStateV2State,
    RunResultState,
    RunType,
    SubmitTask,
)

from {{ cookiecutter.package_name }}.config import (
    DEVELOPER_NAME,
    Settings,
    load_settings,
    uses_developer,
)
from {{ cookiecutter.package_name }}.errors import ConfigError
from {{ cookiecutter.package_name }}.references import written_tables

SUCCEEDED, FAILED, UNUSABLE, TIMED_OUT = 0, 1, 2, 3
TERMINAL = {
    RunLifeCycleState.TERMINATED,
    RunLifeCycleState.SKIPPED,
    RunLifeCycleState.INTERNAL_ERROR,
}
TRACE_LINES = 20
COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")
# What a one-time run keeps of each job task, besides its key and compute. Older SDKs lack some
# of these on SubmitTask (0.50 has no retry settings there); those are left out, not an error.
TASK_FIELDS = (
    "description",
    "depends_on",
    "run_if",
    "notebook_task",
    "spark_python_task",
    "python_wheel_task",
    "libraries",
    "existing_cluster_id",
    "environment_key",
    "timeout_seconds",
    "max_retries",
    "min_retry_interval_millis",
    "retry_on_timeout",
)
SUBMIT_TASK_FIELDS = {field.name for field in dataclasses.fields(SubmitTask)}


class RemoteJobError(Exception):
    """A request the workspace cannot act on; the message says what to check (exit code 2)."""


DEPLOYED = ("dev", "staging", "prod")  # environments Terraform deploys jobs for


@dataclasses.dataclass(frozen=True)
class Namespace:
    """Where an environment's runs write on Databricks: one schema (every table the pipeline
    writes and the delivery volume are in it), one experiment, one registered model."""

    env: str
    catalog: str
    schema: str  # catalog.schema
    tables: tuple[str, ...]  # catalog.schema.table
    volume: str  # catalog.schema.volume, of delivery.csv_dir
    experiment: str
    model: str
    unity_catalog: bool  # the model is in Unity Catalog's registry
    # A per-developer environment's names are patterns: this stands for any developer in them.
    any_developer: str | None = None

    def names(self) -> dict[str, str]:
        """Every name, by what it names."""
        return {
            "schema": self.schema,
            **{f"table {t.rpartition('.')[2]}": t for t in self.tables},
            "volume": self.volume,
            "experiment": self.experiment,
            "model": self.model,
        }


def namespace(settings: Settings) -> Namespace:
    """The namespace of a Databricks environment's settings (storage.catalog set)."""
    storage = settings.storage
    if storage.catalog is None:
        raise RemoteJobError(
            f"environment {settings.env!r} keeps its tables on this machine (storage.catalog is "
            "null): a run in the workspace needs a Databricks environment"
        )
    schema = f"{storage.catalog}.{storage.schema_name}"
    parts = settings.delivery.csv_dir.parts  # /Volumes/<catalog>/<schema>/<volume>/...
    volume = ".".join(parts[2:5]) if len(parts) >= 5 and parts[1] == "Volumes" else ""
    return Namespace(
        env=settings.env,
        catalog=storage.catalog,
        schema=schema,
        tables=tuple(f"{schema}.{name}" for name in written_tables(settings)),
        volume=volume,
        experiment=settings.tracking.experiment_name,
        model=settings.registry.model_name,
        unity_catalog=(settings.tracking.registry_uri or "").startswith("databricks-uc"),
    )


ANY_DEVELOPER = "x9developer9x"  # stands for every developer in a per-developer namespace


def environment(env: str, conf_dir: Path) -> Namespace:
    """The namespace of ``env``, its configuration refused as the pipeline refuses it. For a
    per-developer environment (dev), the namespace of every developer at once."""
    developer = ANY_DEVELOPER if uses_developer(env, conf_dir) else None
    try:
        settings = load_settings(env, conf_dir, developer=developer)
    except ConfigError as error:
        raise RemoteJobError(f"the settings of {env!r}: {'; '.join(error.problems)}") from None
    return dataclasses.replace(namespace(settings), any_developer=developer)


def shared_names(ours: Namespace, theirs: Namespace) -> list[str]:
    """What ``ours`` names that ``theirs`` names too (case-folded, as Unity Catalog compares),
    for any developer if ``theirs`` is per developer."""
    taken = [_pattern(name, theirs.any_developer) for name in theirs.names().values() if name]
    return [
        f"{what} {name}"
        for what, name in ours.names().items()
        if any(pattern.fullmatch(name.casefold()) for pattern in taken)
    ]


def _pattern(name: str, any_developer: str | None) -> re.Pattern[str]:
    text = re.escape(name.casefold())
    if any_developer:
        text = text.replace(re.escape(any_developer), DEVELOPER_NAME.pattern)
    return re.compile(text)


def _isolated(env: str, others: Collection[str], conf_dir: Path) -> Namespace:
    """The namespace of ``env``, refused if it is one of ``others`` or shares a name with one."""
    ours = environment(env, conf_dir)
    for other in others:
        shared = [] if other == env else shared_names(ours, environment(other, conf_dir))
        if other == env or shared:
            what = f": {', '.join(shared)}" if shared else ""
            raise RemoteJobError(
                f"environment {env!r} writes where {other!r} does{what}: a run of its own needs "
                f"a namespace of its own (conf/envs/{env}.yml)"
            )
    return ours


def find_job(client: WorkspaceClient, name: str) -> Job:
    """The settings of the one job named exactly ``name``; ``RemoteJobError`` if none or several."""
    listed = {job.job_id: job.settings.name for job in client.jobs.list(name=name) if job.settings}
    ids = [job_id for job_id, found in listed.items() if found == name]  # the API ignores case
    where = client.config.host
    if not ids:
        near = f" (only {', '.join(map(repr, listed.values()))}, in other case)" if listed else ""
        raise RemoteJobError(
            f"no job named {name!r} in {where}{near}: check --job-name, DATABRICKS_HOST, and "
            "that terraform applied the jobs in this workspace"
        )
    if len(ids) > 1:
        raise RemoteJobError(
            f"{len(ids)} jobs are named {name!r} in {where} (ids {', '.join(map(str, ids))}): "
            "delete the extra ones so the name picks one job"
        )
    return client.jobs.get(ids[0])


def job_env(job: Job) -> str:
    """The environment the job's tasks run with (their ``env`` parameter), the same for all."""
    found = {_env_of(task) for task in job.settings.tasks or []}
    if len(found) != 1 or None in found:
        raise RemoteJobError(
            f"job {job.settings.name!r}: its tasks do not all take one env parameter "
            f"({', '.join(sorted(map(str, found)))}): deploy it with the project's Terraform"
        )
    return found.pop()


def _env_of(task) -> str | None:
    if task.notebook_task is not None:
        return (task.notebook_task.base_parameters or {}).get("env")
    if task.spark_python_task is not None:
        arguments = task.spark_python_task.parameters or []
        if "--env" in arguments[:-1]:
            return arguments[arguments.index("--env") + 1]
    return None


def _with_env(fields: dict[str, Any], env: str) -> dict[str, Any]:
    """A task's fields with its env parameter set to ``env``."""
    notebook, script = fields.get("notebook_task"), fields.get("spark_python_task")
    if notebook is not None:
        parameters = {**(notebook.base_parameters or {}), "env": env}
        fields["notebook_task"] = dataclasses.replace(notebook, base_parameters=parameters)
    if script is not None:
        arguments = list(script.parameters or [])
        arguments[arguments.index("--env") + 1] = env
        fields["spark_python_task"] = dataclasses.replace(script, parameters=arguments)
    return fields


def one_time_run(
    job: Job, commit: str, skip_tasks: Collection[str], attempt: str = "1", env: str | None = None
) -> dict[str, Any]:
    """The ``jobs.submit`` arguments that run ``job``'s tasks once at ``commit``, with the
    settings of ``env`` (None: the job's own).

    Same repository and provider as the job, checked out at the commit (no branch or tag); each
    task's job cluster inlined as its ``new_cluster``; the tasks in ``skip_tasks`` left out (names
    the job does not have are ignored). ``RemoteJobError`` if the commit is not 7-40 hex digits, the
    job has no git source, a kept task depends on a skipped one, or nothing is left to run.
    """
    settings = job.settings
    name = settings.name
    commit = _check_commit(commit).lower()
    source = settings.git_source
    if source is None:
        raise RemoteJobError(f"job {name!r} has no git_source, so it cannot run at a commit")
    clusters = {
        cluster.job_cluster_key: cluster.new_cluster for cluster in settings.job_clusters or []
    }
    skipped = {task.task_key for task in settings.tasks or []} & set(skip_tasks)
    tasks = []
    for task in settings.tasks or []:
        if task.task_key in skipped:
            continue
        needs = sorted({dep.task_key for dep in task.depends_on or []} & skipped)
        if needs:
            raise RemoteJobError(
                f"job {name!r}: task {task.task_key!r} depends on skipped task(s) "
                f"{', '.join(needs)}: skip {task.task_key!r} too, or do not skip them"
            )
        fields = {
            field: getattr(task, field)
            for field in TASK_FIELDS
            if field in SUBMIT_TASK_FIELDS and getattr(task, field, None) is not None
        }
        if env is not None:
            fields = _with_env(fields, env)
        if task.job_cluster_key:
            if clusters.get(task.job_cluster_key) is None:
                raise RemoteJobError(
                    f"job {name!r}: task {task.task_key!r} uses job cluster "
                    f"{task.job_cluster_key!r}, which the job does not define"
                )
            fields["new_cluster"] = clusters[task.job_cluster_key]
        elif task.new_cluster is not None:
            fields["new_cluster"] = task.new_cluster
        tasks.append(SubmitTask(task_key=task.task_key, **fields))
    if not tasks:
        raise RemoteJobError(f"job {name!r}: every task is skipped, nothing to run")
    key = f"{name}\n{commit}\n{attempt}" + (f"\n{env}" if env else "")
    token = hashlib.sha256(key.encode()).hexdigest()  # 64 chars, the API's limit
    return {
        "run_name": f"{name} @ {commit[:12]}" + (f" in {env}" if env else ""),
        "git_source": GitSource(
            git_url=source.git_url, git_provider=source.git_provider, git_commit=commit
        ),
        "tasks": tasks,
        "run_as": settings.run_as,
        "environments": settings.environments,
        "timeout_seconds": settings.timeout_seconds,
        "idempotency_token": token,
    }


def submit(
    client: WorkspaceClient,
    job_name: str,
    commit: str,
    skip_tasks: Collection[str],
    attempt: str = "1",
    env: str = "test",
    conf_dir: Path = Path("conf"),
) -> int:
    """Start a one-time run of job ``job_name`` at ``commit`` with the settings of ``env`` (see
    ``one_time_run``); its run id. Refused when ``env`` writes anywhere the job's own
    environment or a deployed one (dev, staging, prod) writes.

    The idempotency token comes from the job name, commit, CI attempt and environment, so a
    step the CI retries within one attempt gets the run already started instead of a second
    one, while a re-run of the pipeline (a new attempt) starts a fresh run.
    """
    _check_commit(commit)  # before any request
    job = find_job(client, job_name)
    _isolated(env, [job_env(job), *_deployed(conf_dir)], conf_dir)
    request = one_time_run(job, commit, skip_tasks, attempt, env)
    left_out = sorted({task.task_key for task in job.settings.tasks or []} & set(skip_tasks))
    run_id = client.jobs.submit(**request).run_id
    _say(f"submitted {request['run_name']!r} as run {run_id}" + _without(left_out))
    return run_id


def _deployed(conf_dir: Path) -> list[str]:
    """The deployed environments this project has an overlay for."""
    return [env for env in DEPLOYED if (Path(conf_dir) / "envs" / f"{env}.yml").is_file()]


def clean(client: WorkspaceClient, env: str, conf_dir: Path = Path("conf")) -> Namespace:
    """Remove ``env``'s namespace: its registered model, its experiment, its schema with every
    table and volume in it. What is not there is skipped; refused for a deployed environment,
    and while a one-time run submitted with ``env`` is still going (another pull request's)."""
    ours = _isolated(env, _deployed(conf_dir), conf_dir)
    busy = [
        f"run {run.run_id} ({run.run_name})"
        for run in client.jobs.list_runs(active_only=True, run_type=RunType.SUBMIT_RUN)
        if (run.run_name or "").endswith(f" in {env}")
    ]
    if busy:  # another pull request's run is in the namespace: leave it alone
        raise RemoteJobError(
            f"environment {env!r} is in use by {', '.join(busy)}: one pull request's run at a "
            "time; run this pipeline again when it has ended"
        )
    removals = [
        (
            f"model {ours.model}",
            (lambda: client.registered_models.delete(ours.model))
            if ours.unity_catalog
            else (lambda: client.model_registry.delete_model(ours.model)),
        ),
        (f"experiment {ours.experiment}", lambda: _delete_experiment(client, ours.experiment)),
        (f"schema {ours.schema}", lambda: client.schemas.delete(ours.schema, force=True)),
    ]
    for what, remove in removals:
        try:
            remove()
        except NotFound:
            continue
        _say(f"removed {what}")
    return ours


def _delete_experiment(client: WorkspaceClient, name: str) -> None:
    found = client.experiments.get_by_name(name).experiment
    if found is None or found.experiment_id is None:
        raise NotFound(f"no experiment {name}")
    client.experiments.delete_experiment(found.experiment_id)


def prepare(client: WorkspaceClient, env: str, conf_dir: Path = Path("conf")) -> Namespace:
    """``env``'s namespace, made anew: what an earlier run left is removed (`clean`), then its
    schema and delivery volume are created (the steps create the tables, the experiment and the
    model themselves)."""
    ours = clean(client, env, conf_dir)
    catalog, schema = ours.schema.split(".")
    client.schemas.create(
        schema, catalog, comment=f"Pull-request runs ({env}); dropped after each run."
    )
    _say(f"created schema {ours.schema}")
    if ours.volume:
        volume_catalog, volume_schema, volume = ours.volume.split(".")
        client.volumes.create(volume_catalog, volume_schema, volume, VolumeType.MANAGED)
        _say(f"created volume {ours.volume}")
    return ours


def run_now(client: WorkspaceClient, job_name: str) -> int:
    """Start job ``job_name`` as it is configured (its branch, all its tasks); its run id."""
    job = find_job(client, job_name)
    run_id = client.jobs.run_now(job.job_id).run_id
    _say(f"started job {job_name!r} ({job.job_id}) as run {run_id}")
    return run_id


def wait(
    client: WorkspaceClient,
    run_id: int,
    timeout_minutes: float,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Poll run ``run_id`` until it ends; 0 if it succeeded, 1 if not, 3 if it timed out.

    Prints the run page once and each state change. A failed run prints, for each task that did
    not succeed, its state message and the error and last lines of the trace of its output. A run
    still going after ``timeout_minutes`` is cancelled.
    """
    deadline = clock() + timeout_minutes * 60
    shown, url = None, None
    while True:
        try:
            run = client.jobs.get_run(run_id)
        except (DatabricksError, OSError) as error:
            where = f" ({url})" if url else ""
            raise RemoteJobError(
                f"lost track of run {run_id}, which may still be running{where}: "
                f"{type(error).__name__}: {_one_line(error)}"
            ) from error
        if url is None and run.run_page_url:
            url = run.run_page_url
            _say(f"run {run_id}: {url}")
        state = _state(run)
        if state != shown:
            _say(f"run {run_id}: {state}")
            shown = state
        if _ended(run):
            break
        left = deadline - clock()
        if left <= 0:
            client.jobs.cancel_run(run_id)
            print(
                f"run {run_id} timed out after {timeout_minutes:g} minutes and was cancelled",
                file=sys.stderr,
            )
            return TIMED_OUT
        sleep(min(poll_seconds, left))
    if _succeeded(run):
        _say(f"run {run_id} succeeded")
        return SUCCEEDED
    _report_failure(client, run)
    return FAILED


def check(client: WorkspaceClient, job_ids_file: Path) -> int:
    """Confirm every job of ``terraform output -json job_ids`` (``{"name": id}``) exists.

    Prints name and id of each job found, then every problem (unreadable file, not an object of
    ids, job missing); 0 if there is none, else 1.
    """
    try:
        ids = json.loads(Path(job_ids_file).read_text())
    except (OSError, ValueError) as error:
        print(f"{job_ids_file}: cannot read it as JSON: {_one_line(error)}", file=sys.stderr)
        return FAILED
    if not isinstance(ids, dict) or not ids:
        print(
            f"{job_ids_file}: expected a JSON object of job ids, as written by "
            "`terraform output -json job_ids`",
            file=sys.stderr,
        )
        return FAILED
    problems = []
    for key, value in ids.items():
        job_id = _job_id(value)
        if job_id is None:
            problems.append(f"{key}: {value!r} is not a job id")
            continue
        try:
            job = client.jobs.get(job_id)
        except NotFound:  # the SDK maps the API's 400 "Job 123 does not exist." to NotFound too
            problems.append(f"{key}: job {job_id} does not exist in {client.config.host}")
            continue
        _say(f"{key}: job {job_id} {job.settings.name!r}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return FAILED if problems else SUCCEEDED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.remote_jobs",
        description="Run or check the project's jobs in the workspace of DATABRICKS_HOST.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    submit_parser = commands.add_parser(
        "submit", help="run an existing job's tasks once at a git commit and wait"
    )
    submit_parser.add_argument("--job-name", required=True, help="exact name of the job")
    submit_parser.add_argument("--commit", required=True, help="git commit to run (7-40 hex)")
    submit_parser.add_argument(
        "--skip-task",
        action="append",
        metavar="TASK",
        help="leave this task out (repeatable; default: deploy)",
    )
    submit_parser.add_argument(
        "--attempt",
        default="1",
        help="the CI's attempt number (a re-run of the pipeline submits a new run; default: 1)",
    )
    prepare_parser = commands.add_parser(
        "prepare", help="make an environment's namespace (schema, volume) for a run of its own"
    )
    clean_parser = commands.add_parser(
        "clean", help="remove an environment's namespace (model, experiment, schema)"
    )
    for isolated in (submit_parser, prepare_parser, clean_parser):
        isolated.add_argument(
            "--env",
            required=True,
            help="the environment whose settings the run takes (e.g. test: conf/envs/test.yml)",
        )
        isolated.add_argument(
            "--conf-dir", type=Path, default=Path("conf"), help="the configuration folder"
        )
    run_parser = commands.add_parser("run", help="run an existing job as it is and wait")
    run_parser.add_argument("--job-name", required=True, help="exact name of the job")
    for waiting in (submit_parser, run_parser):
        waiting.add_argument(
            "--timeout-minutes",
            type=_positive,
            default=60.0,
            help="cancel the run if it has not ended by then (default: 60)",
        )
        waiting.add_argument(
            "--poll-seconds",
            type=_positive,
            default=30.0,
            help="time between status checks (default: 30)",
        )
    check_parser = commands.add_parser("check", help="confirm the jobs terraform created exist")
    check_parser.add_argument(
        "--job-ids",
        type=Path,
        required=True,
        help="file holding the output of `terraform output -json job_ids`",
    )
    return parser


def main(
    argv: list[str] | None = None,
    client_factory: Callable[[], WorkspaceClient] = WorkspaceClient,
) -> int:
    """Run one command; the exit codes are those of the module docstring. Every failure to reach
    or use the workspace is one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    if args.command == "check":
        subject = f"job ids of {args.job_ids}"
    elif args.command in ("prepare", "clean"):
        subject = f"environment {args.env!r}"
    else:
        subject = f"job {args.job_name!r}"
    client = None
    try:
        client = client_factory()
        return _run(client, args)
    except RemoteJobError as error:
        problem = str(error)
    except DatabricksError as error:
        where = client.config.host if client else "DATABRICKS_HOST"
        problem = (
            f"the Databricks API at {where} answered {type(error).__name__}: "
            f"{_one_line(error)}; check {_hint(error)}"
        )
    except ValueError as error:  # how the SDK says it cannot configure or authenticate
        problem = (
            f"cannot configure or authenticate the Databricks client: set DATABRICKS_HOST and "
            f"the pipeline's credentials ({_one_line(error)[:300]})"
        )
    except OSError as error:  # connection refused, DNS, timeouts after the SDK's own retries
        problem = (
            f"cannot reach {client.config.host if client else 'the workspace'}: "
            f"{_one_line(error)}; check DATABRICKS_HOST and the network from this agent"
        )
    print(f"{args.command} {subject}: {problem}", file=sys.stderr)
    return UNUSABLE


def _run(client: WorkspaceClient, args: argparse.Namespace) -> int:
    if args.command == "check":
        return check(client, args.job_ids)
    if args.command in ("prepare", "clean"):
        (prepare if args.command == "prepare" else clean)(client, args.env, args.conf_dir)
        return SUCCEEDED
    if args.command == "submit":
        skip = ["deploy"] if args.skip_task is None else args.skip_task
        run_id = submit(
            client, args.job_name, args.commit, skip, args.attempt, args.env, args.conf_dir
        )
    else:
        run_id = run_now(client, args.job_name)
    return wait(client, run_id, args.timeout_minutes, args.poll_seconds)


def _state(run: Run) -> str:
    parts = []
    if run.state and run.state.life_cycle_state:
        parts.append(run.state.life_cycle_state.value)
    elif run.status and run.status.state:
        parts.append(run.status.state.value)
    if run.state and run.state.result_state:
        parts.append(run.state.result_state.value)
    return " ".join(parts) or "UNKNOWN"


def _ended(run: Run) -> bool:
    if run.state and run.state.life_cycle_state in TERMINAL:
        return True
    return bool(run.status and run.status.state == RunLifecycleStateV2State.TERMINATED)


def _succeeded(run: Run) -> bool:
    if run.state and run.state.result_state is not None:
        return run.state.result_state == RunResultState.SUCCESS
    details = run.status.termination_details if run.status else None
    return bool(details and details.code and details.code.value == "SUCCESS")


def _report_failure(client: WorkspaceClient, run: Run) -> None:
    message = run.state.state_message if run.state else None
    print(
        f"run {run.run_id} failed: {_state(run)}" + (f": {message}" if message else ""),
        file=sys.stderr,
    )
    for task in run.tasks or []:
        result = task.state.result_state if task.state else None
        if result == RunResultState.SUCCESS:
            continue
        task_message = task.state.state_message if task.state else None
        print(
            f"task {task.task_key}: {result.value if result else _state(task)}"
            + (f": {task_message}" if task_message else ""),
            file=sys.stderr,
        )
        if task.run_id is None:
            continue
        try:
            output = client.jobs.get_run_output(task.run_id)
        except DatabricksError as error:  # e.g. a task that never started has no output
            print(f"  (no output: {_one_line(error)})", file=sys.stderr)
            continue
        if output.error:
            print(f"  error: {output.error}", file=sys.stderr)
        if output.error_trace:
            lines = output.error_trace.rstrip().splitlines()[-TRACE_LINES:]
            print(f"  trace (last {len(lines)} lines):", file=sys.stderr)
            for line in lines:
                print(f"    {line}", file=sys.stderr)


def _without(left_out: list[str]) -> str:
    return f", without task(s) {', '.join(left_out)}" if left_out else ""


def _job_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _hint(error: DatabricksError) -> str:
    if isinstance(error, (Unauthenticated, PermissionDenied)):
        return "the pipeline's credentials and the permissions of its identity on the job"
    if isinstance(error, NotFound):
        return "the job name or id and DATABRICKS_HOST"
    return "DATABRICKS_HOST and the workspace status, then retry"


def _check_commit(commit: str) -> str:
    if not COMMIT.fullmatch(commit):
        raise RemoteJobError(f"--commit {commit!r} is not a git commit: give 7 to 40 hex digits")
    return commit


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive")
    return value


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _say(text: str) -> None:
    print(text, flush=True)  # CI logs show progress while the run goes on


if __name__ == "__main__":
    sys.exit(main())
