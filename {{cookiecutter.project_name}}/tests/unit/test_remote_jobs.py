"""remote_jobs against a fake workspace: a local HTTP server answering the Jobs API 2.2 calls.

The real Databricks SDK client talks to it over HTTP, so request bodies, error mapping and
retries are the SDK's own; each test sets how the fake workspace behaves and reads what it got.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config

from tools.remote_jobs import environment, main, shared_names

from conftest import EXAMPLE_CONF

SHA = "0123456789abcdef0123456789abcdef01234567"  # pragma: allowlist secret (a commit)
FAST = ["--poll-seconds", "0.05", "--timeout-minutes", "1"]
ISOLATED = ["--env", "test", "--conf-dir", str(EXAMPLE_CONF)]  # a pull request's namespace
TASK_KEY = "{% raw %}{{task.name}}{% endraw %}"  # a job's reference to the task's own key
CLUSTER = dict(
    spark_version="17.3.x-cpu-ml-scala2.13",
    node_type_id="Standard_D4ds_v5",
    num_workers=2,
    data_security_mode="SINGLE_USER",
    single_user_name="sp-staging",
)
TRAINING = "admission-risk-staging-training"


def job(job_id: int, name: str, tasks: tuple[str, ...] = ("train", "validate", "deploy")) -> dict:
    """A job as jobs/get returns it: a chain of notebook tasks on one job cluster."""
    settings = []
    for position, key in enumerate(tasks):
        task = dict(
            task_key=key,
            job_cluster_key="main",
            notebook_task=dict(
                notebook_path=f"notebooks/{key}", base_parameters=dict(env="staging")
            ),
            libraries=[dict(pypi=dict(package="scikit-learn>=1.5,<2"))],
            timeout_seconds=3600,
            max_retries=1,
            min_retry_interval_millis=60000,
        )
        if position:
            task["depends_on"] = [dict(task_key=tasks[position - 1])]
        settings.append(task)
    git = dict(
        git_url="https://github.com/acme/admission-risk", git_provider="gitHub", git_branch="main"
    )
    return dict(
        job_id=job_id,
        settings=dict(
            name=name,
            git_source=git,
            job_clusters=[dict(job_cluster_key="main", new_cluster=CLUSTER)],
            tasks=settings,
            run_as=dict(service_principal_name="sp-staging"),
            timeout_seconds=7200,
            email_notifications=dict(on_failure=["ml-alerts@example.com"]),
        ),
    )


class FakeWorkspace:
    """What a test sets up (jobs, how runs end, errors) and what the server received."""

    def __init__(self) -> None:
        self.host = ""
        self.jobs: dict[int, dict] = {}
        self.polls_to_end: int | None = 2  # runs/get answers before the run ends; None: never
        self.failing_task: str | None = None
        self.output: dict = {}  # runs/get-output of the failing task
        self.errors: dict[str, tuple[int, str, str]] = {}  # path -> status, error_code, message
        self.missing_job = (400, "INVALID_PARAMETER_VALUE")  # what jobs/get says for an unknown id
        self.runs: dict[int, dict] = {}
        self.tokens: dict[str, int] = {}
        self.requests: list[tuple[str, str, dict]] = []  # method, path, query or body
        self.lock = threading.Lock()
        self.nothing_left = False  # prepare/clean: the namespace is already gone
        self.active_runs: list[dict] = []  # runs/list with active_only

    def add(self, *jobs: dict) -> None:
        for each in jobs:
            self.jobs[each["job_id"]] = each

    def sent(self, path: str) -> list[dict]:
        return [data for _, seen, data in self.requests if seen == path]

    def api_calls(self) -> list[str]:
        return [path for _, path, _ in self.requests if path.startswith("/api/")]

    # One method per endpoint: (status, JSON answer) from the query or body.
    def list_jobs(self, query: dict) -> tuple[int, dict]:
        name = query.get("name", "").lower()
        found = [j for j in self.jobs.values() if j["settings"]["name"].lower() == name]
        return 200, dict(jobs=found, has_more=False)

    def get_job(self, query: dict) -> tuple[int, dict]:
        job_id = int(query["job_id"])
        if job_id in self.jobs:
            return 200, self.jobs[job_id]
        status, code = self.missing_job
        return status, dict(error_code=code, message=f"Job {job_id} does not exist.")

    def submit(self, body: dict) -> tuple[int, dict]:
        token = body.get("idempotency_token")
        if token not in self.tokens:
            self.tokens[token] = self._start([task["task_key"] for task in body["tasks"]])
        return 200, dict(run_id=self.tokens[token])

    def run_now(self, body: dict) -> tuple[int, dict]:
        tasks = self.jobs[body["job_id"]]["settings"]["tasks"]
        run_id = self._start([task["task_key"] for task in tasks])
        return 200, dict(run_id=run_id, number_in_job=run_id)

    def get_run(self, query: dict) -> tuple[int, dict]:
        run_id = int(query["run_id"])
        run = self.runs[run_id]
        run["polls"] += 1
        ended = self.polls_to_end is not None and run["polls"] > self.polls_to_end
        life = "TERMINATED" if ended else ("PENDING" if run["polls"] == 1 else "RUNNING")
        tasks, failed = [], False
        for position, key in enumerate(run["tasks"]):
            state = dict(life_cycle_state=life)
            if ended:
                failed = failed or key == self.failing_task
                state["result_state"] = "FAILED" if key == self.failing_task else "SUCCESS"
                state["state_message"] = "Workload failed" if key == self.failing_task else ""
            tasks.append(dict(task_key=key, run_id=run_id * 100 + position, state=state))
        state = dict(life_cycle_state=life)
        if ended:
            state["result_state"] = "FAILED" if failed else "SUCCESS"
        url = f"https://adb-1.2.azuredatabricks.net/jobs/runs/{run_id}"
        return 200, dict(run_id=run_id, state=state, tasks=tasks, run_page_url=url)

    def get_output(self, query: dict) -> tuple[int, dict]:
        run_id = int(query["run_id"])
        key = self.runs[run_id // 100]["tasks"][run_id % 100]
        return 200, self.output if key == self.failing_task else dict(notebook_output=dict())

    def cancel(self, body: dict) -> tuple[int, dict]:
        self.runs[body["run_id"]]["cancelled"] = True
        return 200, dict()

    def created(self, body: dict) -> tuple[int, dict]:  # a schema or a volume
        return 200, dict(body, full_name=f"{body['catalog_name']}.{body['name']}")

    def removed(self, query: dict) -> tuple[int, dict]:  # a schema or a model: path-addressed
        if self.nothing_left:
            return 404, dict(error_code="NOT_FOUND", message="gone")
        return 200, dict()

    def experiment_by_name(self, query: dict) -> tuple[int, dict]:
        if self.nothing_left:
            return 404, dict(error_code="RESOURCE_DOES_NOT_EXIST", message="no experiment")
        return 200, dict(experiment=dict(experiment_id="42", name=query["experiment_name"]))

    def experiment_deleted(self, body: dict) -> tuple[int, dict]:
        return 200, dict()

    def list_runs(self, query: dict) -> tuple[int, dict]:  # the one-time runs still going
        return 200, dict(runs=self.active_runs, has_more=False)

    def _start(self, task_keys: list[str]) -> int:
        run_id = 1000 + len(self.runs)
        self.runs[run_id] = dict(tasks=task_keys, polls=0, cancelled=False)
        return run_id


ROUTES = {
    "/api/2.2/jobs/list": FakeWorkspace.list_jobs,
    "/api/2.2/jobs/get": FakeWorkspace.get_job,
    "/api/2.2/jobs/runs/submit": FakeWorkspace.submit,
    "/api/2.2/jobs/run-now": FakeWorkspace.run_now,
    "/api/2.2/jobs/runs/get": FakeWorkspace.get_run,
    "/api/2.2/jobs/runs/get-output": FakeWorkspace.get_output,
    "/api/2.2/jobs/runs/cancel": FakeWorkspace.cancel,
    "/api/2.1/unity-catalog/schemas": FakeWorkspace.created,
    "/api/2.1/unity-catalog/volumes": FakeWorkspace.created,
    "/api/2.0/mlflow/experiments/get-by-name": FakeWorkspace.experiment_by_name,
    "/api/2.0/mlflow/experiments/delete": FakeWorkspace.experiment_deleted,
    "/api/2.2/jobs/runs/list": FakeWorkspace.list_runs,
}
REMOVED = ("/api/2.1/unity-catalog/schemas/", "/api/2.1/unity-catalog/models/")


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer  # with a .workspace

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        fake: FakeWorkspace = self.server.workspace
        url = urlsplit(self.path)
        size = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(size)) if size else dict()
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        with fake.lock:
            fake.requests.append(
                (self.command, url.path, body if self.command == "POST" else query)
            )
            route = ROUTES.get(url.path)
            if self.command == "DELETE" and url.path.startswith(REMOVED):
                route = FakeWorkspace.removed
            if route is None:  # also the SDK's probe of /.well-known/databricks-config
                status, answer = 404, dict(error_code="ENDPOINT_NOT_FOUND", message="no such API")
            elif self.headers.get("Authorization") != "Bearer test-token":
                status, answer = 401, dict(error_code="UNAUTHENTICATED", message="bad token")
            elif url.path in fake.errors:
                status, code, message = fake.errors[url.path]
                answer = dict(error_code=code, message=message)
            else:
                status, answer = route(fake, body if self.command == "POST" else query)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A fake workspace on 127.0.0.1; no Databricks settings of the machine leak into the client."""
    for attribute in Config.attributes():
        for name in [attribute.env, *(getattr(attribute, "env_aliases", None) or [])]:
            if name:
                monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "absent.databrickscfg"))
    fake = FakeWorkspace()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.workspace = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.host = f"http://127.0.0.1:{server.server_port}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def remote(fake: FakeWorkspace, *argv: str) -> int:
    """``main`` with a client of the fake workspace, as the SDK builds it from host and token."""
    return main(
        list(argv),
        lambda: WorkspaceClient(
            config=Config(host=fake.host, token="test-token", retry_timeout_seconds=10)
        ),
    )


def test_submit_runs_the_job_tasks_once_at_the_commit(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(7, TRAINING), job(8, "admission-risk-staging-training-old"))
    workspace.polls_to_end = 4  # PENDING, then RUNNING three times

    assert (
        remote(workspace, "submit", "--job-name", TRAINING, "--commit", SHA, *ISOLATED, *FAST) == 0
    )

    [body] = workspace.sent("/api/2.2/jobs/runs/submit")
    assert body["git_source"] == dict(
        git_url="https://github.com/acme/admission-risk", git_provider="gitHub", git_commit=SHA
    )
    assert [task["task_key"] for task in body["tasks"]] == ["train", "validate"]  # no deploy
    train, validate = body["tasks"]
    for task in body["tasks"]:
        assert task["new_cluster"] == CLUSTER
        assert "job_cluster_key" not in task
        assert task["notebook_task"]["notebook_path"] == f"notebooks/{task['task_key']}"
        # the pull request's namespace, not the job's staging
        assert task["notebook_task"]["base_parameters"] == {"env": "test"}
        assert task["libraries"] == [dict(pypi=dict(package="scikit-learn>=1.5,<2"))]
        assert (task["timeout_seconds"], task["max_retries"]) == (3600, 1)
        assert task["min_retry_interval_millis"] == 60000
    assert "depends_on" not in train
    assert validate["depends_on"] == [dict(task_key="train")]
    assert body["run_name"] == f"{TRAINING} @ {SHA[:12]} in test"
    assert 0 < len(body["idempotency_token"]) <= 64
    assert body["run_as"] == dict(service_principal_name="sp-staging")
    assert "email_notifications" not in body  # a CI run does not page the on-call list
    out = capsys.readouterr().out
    assert (
        f"submitted '{TRAINING} @ 0123456789ab in test' as run 1000, without task(s) deploy" in out
    )
    shown = [
        line[len("run 1000: ") :] for line in out.splitlines() if line.startswith("run 1000: ")
    ]
    url = "https://adb-1.2.azuredatabricks.net/jobs/runs/1000"
    assert shown == [
        url,
        "PENDING",
        "RUNNING",
        "TERMINATED SUCCESS",
    ]  # the page once, each change once


def test_submitting_the_same_commit_again_returns_the_same_run(workspace: FakeWorkspace) -> None:
    """A retried step reuses its run; another commit, or a new CI attempt, starts a new one."""
    workspace.add(job(7, TRAINING))
    for commit, attempt in ((SHA, "1"), (SHA, "1"), ("abcdef1", "1"), (SHA, "2")):
        args = ("--job-name", TRAINING, "--commit", commit, "--attempt", attempt, *FAST)
        assert remote(workspace, "submit", *args, *ISOLATED) == 0

    first, again, other, rerun = (
        body["idempotency_token"] for body in workspace.sent("/api/2.2/jobs/runs/submit")
    )
    assert first == again and len({first, other, rerun}) == 3
    assert len(workspace.runs) == 3


def test_failed_run_prints_the_error_of_the_failed_task(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(7, TRAINING))
    workspace.failing_task = "validate"
    trace = "\n".join(f"trace line {number}" for number in range(1, 31))
    workspace.output = dict(
        error="AssertionError: holdout AUC 0.51 is below 0.60", error_trace=trace
    )

    assert (
        remote(workspace, "submit", "--job-name", TRAINING, "--commit", SHA, *ISOLATED, *FAST) == 1
    )

    err = capsys.readouterr().err
    assert "run 1000 failed: TERMINATED FAILED" in err
    assert "task validate: FAILED: Workload failed" in err
    assert "error: AssertionError: holdout AUC 0.51 is below 0.60" in err
    assert "    trace line 30\n" in err and "    trace line 11\n" in err
    assert "trace line 10\n" not in err  # only the last 20 lines
    assert "task train" not in err
    assert [query["run_id"] for query in workspace.sent("/api/2.2/jobs/runs/get-output")] == [
        "100001"
    ]


def test_run_still_going_at_the_timeout_is_cancelled(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(7, TRAINING))
    workspace.polls_to_end = None
    argv = ["--job-name", TRAINING, "--poll-seconds", "0.05", "--timeout-minutes", "0.005"]

    assert remote(workspace, "run", *argv) == 3

    assert workspace.sent("/api/2.2/jobs/run-now") == [dict(job_id=7)]
    assert workspace.sent("/api/2.2/jobs/runs/cancel") == [dict(run_id=1000)]
    assert workspace.runs[1000]["cancelled"]
    assert len(workspace.sent("/api/2.2/jobs/runs/get")) >= 3  # it did poll meanwhile
    assert "run 1000 timed out after 0.005 minutes and was cancelled" in capsys.readouterr().err


def test_run_starts_the_job_as_it_is(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(9, "admission-risk-prod-rollback", tasks=("rollback",)))

    assert remote(workspace, "run", "--job-name", "admission-risk-prod-rollback", *FAST) == 0

    assert workspace.sent("/api/2.2/jobs/run-now") == [dict(job_id=9)]
    assert workspace.sent("/api/2.2/jobs/runs/submit") == []
    assert "run 1000 succeeded" in capsys.readouterr().out


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    [line] = captured.err.splitlines()
    return line


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("admission-risk-staging-train", ""),
        (TRAINING.upper(), f" (only '{TRAINING}', in other case)"),  # the API matches any case
    ],
)
def test_unknown_job_name_is_one_line(
    workspace: FakeWorkspace, capsys, name: str, hint: str
) -> None:
    workspace.add(job(7, TRAINING))

    assert remote(workspace, "submit", "--job-name", name, "--commit", SHA, *ISOLATED, *FAST) == 2

    line = one_line_error(capsys)
    assert f"no job named {name!r} in {workspace.host}{hint}: check --job-name" in line
    assert workspace.sent("/api/2.2/jobs/runs/submit") == []


def test_two_jobs_with_the_name_are_refused(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(7, TRAINING), job(8, TRAINING))

    assert remote(workspace, "run", "--job-name", TRAINING, *FAST) == 2

    line = one_line_error(capsys)
    assert "2 jobs are named" in line and "7, 8" in line
    assert workspace.sent("/api/2.2/jobs/run-now") == []


def test_a_kept_task_may_not_depend_on_a_skipped_one(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(7, TRAINING))

    argv = ["--job-name", TRAINING, "--commit", SHA, "--skip-task", "validate", *FAST]
    assert remote(workspace, "submit", *argv, *ISOLATED) == 2

    line = one_line_error(capsys)
    assert "task 'deploy' depends on skipped task(s) validate" in line
    assert workspace.sent("/api/2.2/jobs/runs/submit") == []


@pytest.mark.parametrize("commit", ["main", "abc123", SHA + "8", "HEAD~1"])
def test_a_commit_must_be_7_to_40_hex_digits(workspace: FakeWorkspace, capsys, commit: str) -> None:
    workspace.add(job(7, TRAINING))

    assert (
        remote(workspace, "submit", "--job-name", TRAINING, "--commit", commit, *ISOLATED, *FAST)
        == 2
    )

    assert f"--commit {commit!r} is not a git commit" in one_line_error(capsys)
    assert workspace.api_calls() == []


def write_ids(tmp_path: Path, ids: object) -> str:
    path = tmp_path / "job_ids.json"
    path.write_text(json.dumps(ids))
    return str(path)


def test_check_lists_every_job(workspace: FakeWorkspace, tmp_path: Path, capsys) -> None:
    workspace.add(job(11, "admission-risk-staging-features"), job(12, TRAINING))

    assert (
        remote(
            workspace, "check", "--job-ids", write_ids(tmp_path, dict(features="11", training=12))
        )
        == 0
    )

    assert capsys.readouterr().out.splitlines() == [
        "features: job 11 'admission-risk-staging-features'",
        f"training: job 12 '{TRAINING}'",
    ]


# The Jobs API answers 400 INVALID_PARAMETER_VALUE "Job 11 does not exist."; the SDK maps that
# (on jobs/get only) to ResourceDoesNotExist, as it does a 404.
@pytest.mark.parametrize(
    "answer", [(400, "INVALID_PARAMETER_VALUE"), (404, "RESOURCE_DOES_NOT_EXIST")]
)
def test_check_reports_every_missing_job(
    workspace: FakeWorkspace, tmp_path: Path, capsys, answer
) -> None:
    workspace.add(job(12, TRAINING))
    workspace.missing_job = answer
    ids = dict(features="11", training="12", inference="13")

    assert remote(workspace, "check", "--job-ids", write_ids(tmp_path, ids)) == 1

    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"training: job 12 '{TRAINING}'"]
    assert captured.err.splitlines() == [
        f"features: job 11 does not exist in {workspace.host}",
        f"inference: job 13 does not exist in {workspace.host}",
    ]


def test_check_stops_at_another_bad_request(
    workspace: FakeWorkspace, tmp_path: Path, capsys
) -> None:
    workspace.errors["/api/2.2/jobs/get"] = (400, "INVALID_PARAMETER_VALUE", "job_id is too large")

    assert remote(workspace, "check", "--job-ids", write_ids(tmp_path, dict(features="11"))) == 2

    assert "InvalidParameterValue: job_id is too large" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it as JSON"),
        ("{not json", "cannot read it as JSON"),
        ('["11", "12"]', "expected a JSON object of job ids"),
        ("{}", "expected a JSON object of job ids"),
        ('{"features": "latest"}', "features: 'latest' is not a job id"),
    ],
)
def test_check_reports_an_unusable_file(
    workspace: FakeWorkspace, tmp_path: Path, capsys, content, expected
) -> None:
    path = tmp_path / "job_ids.json"
    if content is not None:
        path.write_text(content)

    assert remote(workspace, "check", "--job-ids", str(path)) == 1

    assert expected in capsys.readouterr().err
    assert workspace.api_calls() == []


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(403, "PERMISSION_DENIED", "PermissionDenied"), (500, "INTERNAL_ERROR", "InternalError")],
)
def test_an_api_error_is_one_line_without_retries(
    workspace: FakeWorkspace, capsys, status, code, kind
) -> None:
    workspace.add(job(7, TRAINING))
    workspace.errors["/api/2.2/jobs/list"] = (status, code, "denied for\nsp-staging")

    assert remote(workspace, "run", "--job-name", TRAINING, *FAST) == 2

    line = one_line_error(capsys)
    assert line.startswith(
        f"run job '{TRAINING}': the Databricks API at {workspace.host} answered {kind}"
    )
    assert "denied for sp-staging" in line
    assert workspace.api_calls() == ["/api/2.2/jobs/list"]  # the SDK did not retry


def test_a_lost_run_says_it_may_still_be_running(workspace: FakeWorkspace, capsys) -> None:
    workspace.add(job(7, TRAINING))
    workspace.errors["/api/2.2/jobs/runs/get"] = (403, "PERMISSION_DENIED", "cannot view run")

    assert remote(workspace, "run", "--job-name", TRAINING, *FAST) == 2

    line = one_line_error(capsys)
    assert (
        "lost track of run 1000, which may still be running: PermissionDenied: cannot view run"
        in line
    )


def test_no_workspace_configured_is_one_line(workspace: FakeWorkspace, capsys) -> None:
    assert main(["run", "--job-name", TRAINING]) == 2  # the SDK's own client, from the environment

    assert "set DATABRICKS_HOST" in one_line_error(capsys)


def test_the_pull_request_namespace_shares_no_name_with_a_deployed_one() -> None:
    test = environment("test", EXAMPLE_CONF)
    for deployed in ("dev", "staging", "prod"):
        theirs = environment(deployed, EXAMPLE_CONF)
        assert shared_names(test, theirs) == [], deployed
        # every table, the volume, the experiment and the model: each differs by name
        assert not set(test.tables) & set(theirs.tables)
        assert (test.experiment, test.model) != (theirs.experiment, theirs.model)
    assert len(test.tables) >= 5 and all(t.startswith(test.schema + ".") for t in test.tables)


def test_a_name_of_any_developers_dev_namespace_is_shared(tmp_path: Path) -> None:
    # dev is per developer: a namespace is refused if it is some developer's, whoever it is
    conf = tmp_path / "conf"
    shutil.copytree(EXAMPLE_CONF, conf)
    dev = environment("dev", conf)
    bob = yaml.safe_load((conf / "envs" / "dev.yml").read_text().replace("${developer}", "bob"))
    (conf / "envs" / "bobs.yml").write_text(yaml.safe_dump(bob))
    shared = shared_names(environment("bobs", conf), dev)
    bobs = environment("bobs", conf)
    assert f"schema {bobs.schema}" in shared and f"model {bobs.model}" in shared
    assert f"experiment {bobs.experiment}" in shared and "bob" in bobs.schema
    # a name that only looks alike is not: the developer part must be a developer name
    assert shared_names(environment("test", conf), dev) == []


def test_submit_refuses_an_environment_that_writes_where_the_job_does(
    workspace: FakeWorkspace, capsys
) -> None:
    workspace.add(job(7, TRAINING))
    argv = ["--job-name", TRAINING, "--commit", SHA, "--env", "staging"]
    assert remote(workspace, "submit", *argv, "--conf-dir", str(EXAMPLE_CONF), *FAST) == 2
    err = capsys.readouterr().err
    assert "environment 'staging' writes where 'staging' does" in err
    # nor into another deployed environment's namespace
    argv[-1] = "prod"
    assert remote(workspace, "submit", *argv, "--conf-dir", str(EXAMPLE_CONF), *FAST) == 2
    assert "environment 'prod' writes where 'prod' does" in capsys.readouterr().err
    assert workspace.sent("/api/2.2/jobs/runs/submit") == []


def test_a_script_task_gets_the_environment_in_its_arguments(workspace: FakeWorkspace) -> None:
    serverless = job(7, TRAINING)
    for task in serverless["settings"]["tasks"]:
        del task["job_cluster_key"], task["notebook_task"], task["libraries"]
        task["environment_key"] = "default"
        task["spark_python_task"] = dict(
            python_file="jobs/run_task.py",
            source="GIT",
            parameters=[TASK_KEY, "--env", "staging", "--developer", ""],
        )
    del serverless["settings"]["job_clusters"]
    spec = dict(environment_version="4", dependencies=["mlflow>=3.1,<4"])
    serverless["settings"]["environments"] = [dict(environment_key="default", spec=spec)]
    workspace.add(serverless)
    argv = ["--job-name", TRAINING, "--commit", SHA, *ISOLATED, *FAST]
    assert remote(workspace, "submit", *argv) == 0
    [body] = workspace.sent("/api/2.2/jobs/runs/submit")
    assert body["environments"] == [dict(environment_key="default", spec=spec)]
    for task in body["tasks"]:
        assert task["environment_key"] == "default" and "new_cluster" not in task
        assert task["spark_python_task"]["parameters"] == [
            *(TASK_KEY, "--env", "test", "--developer", "")
        ]


def test_prepare_makes_the_namespace_anew_and_clean_removes_it(
    workspace: FakeWorkspace, capsys
) -> None:
    test = environment("test", EXAMPLE_CONF)
    conf = ["--env", "test", "--conf-dir", str(EXAMPLE_CONF)]
    assert remote(workspace, "prepare", *conf) == 0
    removed = [p for m, p, _ in workspace.requests if m == "DELETE"]
    catalog, schema = test.schema.split(".")
    assert removed[-1] == f"/api/2.1/unity-catalog/schemas/{test.schema}"  # last: the schema
    assert workspace.sent("/api/2.0/mlflow/experiments/delete") == [dict(experiment_id="42")]
    [made] = workspace.sent("/api/2.1/unity-catalog/schemas")
    assert (made["catalog_name"], made["name"]) == (catalog, schema)
    [volume] = workspace.sent("/api/2.1/unity-catalog/volumes")
    assert (volume["schema_name"], volume["name"], volume["volume_type"]) == (
        schema,
        "delivery",
        "MANAGED",
    )
    out = capsys.readouterr().out
    assert f"removed schema {test.schema}" in out and f"created schema {test.schema}" in out
    workspace.nothing_left = True  # clean after clean: nothing to remove is not an error
    assert remote(workspace, "clean", *conf) == 0
    assert "removed" not in capsys.readouterr().out


def test_clean_refuses_a_deployed_environment(workspace: FakeWorkspace, capsys) -> None:
    assert remote(workspace, "clean", "--env", "staging", "--conf-dir", str(EXAMPLE_CONF)) == 2
    assert "environment 'staging' writes where 'staging' does" in capsys.readouterr().err
    assert not [p for m, p, _ in workspace.requests if m == "DELETE"]


def test_a_namespace_in_use_by_another_run_is_left_alone(workspace: FakeWorkspace, capsys) -> None:
    workspace.active_runs = [
        dict(run_id=5, run_name=f"{TRAINING} @ 0123456789ab in test"),
        dict(run_id=6, run_name=f"{TRAINING} @ 0123456789ab"),  # not in the namespace
    ]
    assert remote(workspace, "prepare", "--env", "test", "--conf-dir", str(EXAMPLE_CONF)) == 2
    err = capsys.readouterr().err
    assert "environment 'test' is in use by run 5" in err and "run 6" not in err
    [listed] = workspace.sent("/api/2.2/jobs/runs/list")
    assert listed["active_only"] == "true" and listed["run_type"] == "SUBMIT_RUN"
    assert not [p for m, p, _ in workspace.requests if m == "DELETE"]
    assert workspace.sent("/api/2.1/unity-catalog/schemas") == []
