"""tools/plan_comment.py against a fake GitHub and a fake Azure DevOps: a local HTTP server that
answers the REST calls the tool makes (GitHub issue comments, paginated with a Link header; Azure
DevOps pull-request threads, api-version 7.1), so URLs, bodies and headers are checked as sent."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

PROJECT = Path(__file__).resolve().parents[2]
TOOL = PROJECT / "tools" / "plan_comment.py"
PLATFORM = "{{ cookiecutter.cicd_platform }}"  # what the Makefile passes as --platform
_spec = importlib.util.spec_from_file_location("plan_comment", TOOL)
plan_comment = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plan_comment)

TOKEN = "fake-job-token"  # pragma: allowlist secret (the fake server's expected token)
REPO = "example/admission"
PR = 7
ADO_PROJECT = "0b1e2c3d-0000-4000-8000-000000000001"
ADO_REPO = "0b1e2c3d-0000-4000-8000-000000000002"
ADO_THREADS = f"/org/{ADO_PROJECT}/_apis/git/repositories/{ADO_REPO}/pullRequests/{PR}/threads"
PLAN = """
Terraform will perform the following actions:

  # module.ml_jobs.databricks_job.training will be updated in-place
  ~ resource "databricks_job" "training" {
        name = "staging-admission-training"
      ~ timeout_seconds = 3600 -> 7200
    }

Plan: 0 to add, 1 to change, 0 to destroy.
"""


class Fake:
    """What the fake platforms hold and every request they were sent."""

    def __init__(self) -> None:
        self.url = ""
        self.comments: list[dict] = []  # GitHub issue comments of pull request PR
        self.threads: list[dict] = []  # Azure DevOps threads of pull request PR
        self.requests: list[tuple[str, str, dict | None]] = []
        self.refuse: dict[str, int] = {}  # method -> HTTP status to answer with

    def calls(self) -> list[tuple[str, str]]:
        return [(method, urlsplit(url).path) for method, url, _ in self.requests]


def handler(fake: Fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, status: int, payload: object, headers: dict | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            fake.requests.append((self.command, self.path, body))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._answer(401, {"message": "Bad credentials"})
            if self.command in fake.refuse:
                status = fake.refuse[self.command]
                return self._answer(status, {"message": "Resource not accessible by integration"})
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path.startswith("/repos/"):
                return self._github(url.path, query, body)
            if url.path.startswith(ADO_THREADS):
                if query.get("api-version") != ["7.1"]:
                    return self._answer(400, {"message": "api-version is missing"})
                return self._ado(url.path.removeprefix(ADO_THREADS), body)
            return self._answer(404, {"message": "Not Found"})

        def _github(self, path: str, query: dict, body: dict | None) -> None:
            listing = f"/repos/{REPO}/issues/{PR}/comments"
            if path == listing and self.command == "GET":
                per_page = int(query.get("per_page", ["30"])[0])
                page = int(query.get("page", ["1"])[0])
                chunk = fake.comments[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(fake.comments):
                    next_url = f"{fake.url}{listing}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = (
                        f'<{next_url}>; rel="next", <{fake.url}{listing}>; rel="first"'
                    )
                return self._answer(200, chunk, headers)
            if path == listing and self.command == "POST":
                comment = {"id": 9000 + len(fake.comments), "body": body["body"]}
                fake.comments.append(comment)
                return self._answer(201, comment)
            prefix = f"/repos/{REPO}/issues/comments/"
            if path.startswith(prefix) and self.command == "PATCH":
                comment = next(c for c in fake.comments if str(c["id"]) == path[len(prefix) :])
                comment["body"] = body["body"]
                return self._answer(200, comment)
            return self._answer(404, {"message": "Not Found"})

        def _ado(self, rest: str, body: dict | None) -> None:
            if rest == "" and self.command == "GET":
                return self._answer(200, {"value": fake.threads, "count": len(fake.threads)})
            if rest == "" and self.command == "POST":
                thread = {
                    "id": len(fake.threads) + 1,
                    "status": body["status"],
                    "comments": [{"id": 1, **c} for c in body["comments"]],
                }
                fake.threads.append(thread)
                return self._answer(200, thread)
            parts = rest.strip("/").split("/")  # <thread>/comments/<comment>
            if self.command == "PATCH" and len(parts) == 3 and parts[1] == "comments":
                thread = next(t for t in fake.threads if str(t["id"]) == parts[0])
                comment = next(c for c in thread["comments"] if str(c["id"]) == parts[2])
                comment["content"] = body["content"]
                return self._answer(200, comment)
            return self._answer(404, {"message": "Not Found"})

        def do_GET(self) -> None:  # noqa: N802 (http.server's names)
            self._handle()

        def do_POST(self) -> None:  # noqa: N802
            self._handle()

        def do_PATCH(self) -> None:  # noqa: N802
            self._handle()

    return Handler


@pytest.fixture
def fake():
    state = Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "tfplan.txt"
    path.write_text(PLAN)
    return path


def github_env(fake: Fake, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    head = {"sha": "a1b2c3d4e5f6a7b8"}  # pragma: allowlist secret (a commit)
    event.write_text(json.dumps({"pull_request": {"number": PR, "head": head}}))
    return {
        "GITHUB_API_URL": fake.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        "GITHUB_TOKEN": TOKEN,
    }


def ado_env(fake: Fake) -> dict[str, str]:
    return {
        "SYSTEM_COLLECTIONURI": f"{fake.url}/org/",
        "SYSTEM_TEAMPROJECTID": ADO_PROJECT,
        "SYSTEM_TEAMPROJECT": "Health Analytics",
        "BUILD_REPOSITORY_ID": ADO_REPO,
        "SYSTEM_PULLREQUEST_PULLREQUESTID": str(PR),
        "SYSTEM_PULLREQUEST_SOURCECOMMITID": "c0ffee0000000000",
        "BUILD_BUILDID": "314",
        "SYSTEM_ACCESSTOKEN": TOKEN,
    }


def post(platform: str, plan: Path, env: dict[str, str], environment: str = "staging") -> int:
    args = ["post", "--platform", platform, "--environment", environment, "--plan", str(plan)]
    return plan_comment.main(args, env)


def test_github_first_post_creates_then_each_push_updates_the_same_comment(
    fake: Fake, plan_file: Path, tmp_path: Path, capsys
) -> None:
    env = github_env(fake, tmp_path)
    fake.comments.append({"id": 1, "body": "Looks good to me"})
    assert post("github", plan_file, env) == 0
    assert fake.calls() == [
        ("GET", f"/repos/{REPO}/issues/{PR}/comments"),
        ("POST", f"/repos/{REPO}/issues/{PR}/comments"),
    ]
    created = fake.comments[-1]
    assert created["body"].startswith("<!-- terraform-plan:staging -->\n")
    assert "**Plan: 0 to add, 1 to change, 0 to destroy.**" in created["body"]
    assert "`a1b2c3d4e5f6`" in created["body"]  # the pull request's head commit
    assert "https://github.example/example/admission/actions/runs/42" in created["body"]
    assert "`terraform-plan-staging`" in created["body"]
    assert "timeout_seconds = 3600 -> 7200" in created["body"]

    plan_file.write_text(PLAN.replace("0 to add", "2 to add"))
    fake.requests.clear()
    assert post("github", plan_file, env) == 0
    assert fake.calls() == [
        ("GET", f"/repos/{REPO}/issues/{PR}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/comments/{created['id']}"),
    ]
    assert len(fake.comments) == 2, "updated, not posted again"
    assert "**Plan: 2 to add, 1 to change, 0 to destroy.**" in fake.comments[-1]["body"]
    assert "Updated the staging plan comment" in capsys.readouterr().out


def test_github_finds_the_comment_on_a_later_page(
    fake: Fake, plan_file: Path, tmp_path: Path
) -> None:
    fake.comments += [{"id": i, "body": f"review remark {i}"} for i in range(1, 101)]
    # a remark quoting the marker is not the plan comment: the marker must open the body
    fake.comments[50]["body"] = "see <!-- terraform-plan:staging --> above"
    fake.comments.append({"id": 555, "body": "<!-- terraform-plan:staging -->\nold plan"})
    assert post("github", plan_file, github_env(fake, tmp_path)) == 0
    pages = [url for method, url, _ in fake.requests if method == "GET"]
    assert [parse_qs(urlsplit(url).query).get("page", ["1"]) for url in pages] == [["1"], ["2"]]
    assert fake.calls()[-1] == ("PATCH", f"/repos/{REPO}/issues/comments/555")
    assert len(fake.comments) == 101
    assert "Plan: 0 to add, 1 to change" in fake.comments[-1]["body"]


def test_each_environment_has_its_own_comment(fake: Fake, plan_file: Path, tmp_path: Path) -> None:
    env = github_env(fake, tmp_path)
    assert post("github", plan_file, env, "staging") == 0
    assert post("github", plan_file, env, "prod") == 0
    assert post("github", plan_file, env, "staging") == 0
    assert [c["body"].split("\n", 1)[0] for c in fake.comments] == [
        "<!-- terraform-plan:staging -->",
        "<!-- terraform-plan:prod -->",
    ]


def test_azure_devops_creates_one_thread_then_updates_its_comment(
    fake: Fake, plan_file: Path
) -> None:
    env = ado_env(fake)
    fake.threads.append(
        {"id": 1, "status": "active", "comments": [{"id": 1, "content": "Please rename this"}]}
    )
    # a deleted plan comment is not updated: a new thread is made
    fake.threads.append(
        {
            "id": 2,
            "isDeleted": True,
            "comments": [{"id": 1, "content": "<!-- terraform-plan:staging -->\nold"}],
        }
    )
    assert post("azure_devops", plan_file, env) == 0
    assert fake.calls() == [("GET", ADO_THREADS), ("POST", ADO_THREADS)]
    method, url, thread = fake.requests[-1]
    assert parse_qs(urlsplit(url).query) == {"api-version": ["7.1"]}
    assert thread["status"] == "active"
    [comment] = thread["comments"]
    assert comment["parentCommentId"] == 0 and comment["commentType"] == "text"
    assert comment["content"].startswith("<!-- terraform-plan:staging -->\n")
    assert "`c0ffee000000`" in comment["content"]
    assert f"{fake.url}/org/Health%20Analytics/_build/results?buildId=314" in comment["content"]

    plan_file.write_text(PLAN.replace("1 to change", "3 to change"))
    fake.requests.clear()
    assert post("azure_devops", plan_file, env) == 0
    assert fake.calls() == [("GET", ADO_THREADS), ("PATCH", f"{ADO_THREADS}/3/comments/1")]
    assert list(fake.requests[-1][2]) == ["content"]
    assert len(fake.threads) == 3
    assert "Plan: 0 to add, 3 to change" in fake.threads[-1]["comments"][0]["content"]


@pytest.mark.parametrize("platform", ["github", "azure_devops"])
def test_a_long_plan_is_cut_under_the_platform_limit(
    fake: Fake, tmp_path: Path, platform: str
) -> None:
    lines = [f'  + resource "databricks_job" "job_{n}" (name = "{"x" * 80}")' for n in range(4000)]
    plan = tmp_path / "tfplan.txt"
    plan.write_text("\n".join([*lines, "", "Plan: 4000 to add, 0 to change, 0 to destroy."]))
    env = github_env(fake, tmp_path) if platform == "github" else ado_env(fake)
    assert post(platform, plan, env) == 0
    body = (
        fake.comments[-1]["body"]
        if platform == "github"
        else fake.threads[-1]["comments"][0]["content"]
    )
    limit = plan_comment.LIMITS[platform]
    assert limit - 2000 < len(body.encode()) <= limit
    head = body.split("```text", 1)[0]
    assert "**Plan: 4000 to add, 0 to change, 0 to destroy.**" in head, "the summary comes first"
    shown = body.split("```text\n", 1)[1].split("\n```\n", 1)[0].split("\n")
    assert shown == lines[: len(shown)], "whole lines from the start of the plan"
    assert f"**Truncated**: the first {len(shown)} of 4002 lines" in body
    run_url = plan_comment.PLATFORMS[platform](env, None).run_url
    assert body.rstrip().endswith(f"`terraform-plan-staging` of [this run]({run_url}).")


def test_the_summary_line_says_what_the_plan_does() -> None:
    assert plan_comment.summary_line(PLAN) == "Plan: 0 to add, 1 to change, 0 to destroy."
    imports = "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.\n"
    assert plan_comment.summary_line(imports) == imports.strip()
    nothing = "No changes. Your infrastructure matches the configuration.\n"
    assert plan_comment.summary_line(nothing) == "No changes."
    assert plan_comment.summary_line("Changes to Outputs:\n  + x = 1\n") == "Only outputs change."


def test_backticks_in_the_plan_cannot_close_its_code_block() -> None:
    body = plan_comment.render('  + description = "```oops```"\n', "staging", 65_536, "a")
    assert "\n````text\n" in body and body.rstrip().endswith("````")


def test_the_summary_goes_to_the_github_step_summary(plan_file: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    args = ["summary", "--platform", "github", "--environment", "prod", "--plan", str(plan_file)]
    assert plan_comment.main(args, {"GITHUB_STEP_SUMMARY": str(summary)}) == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n<!-- terraform-plan:prod -->")
    assert "**Plan: 0 to add, 1 to change, 0 to destroy.**" in text
    assert "`terraform-plan-prod`" in text


def test_the_summary_is_attached_to_the_azure_devops_run(plan_file: Path, capsys) -> None:
    args = [
        "summary",
        "--platform",
        "azure_devops",
        "--environment",
        "prod",
        "--plan",
        str(plan_file),
    ]
    assert plan_comment.main(args, {}) == 0
    written = plan_file.with_suffix(".md")
    assert capsys.readouterr().out.strip() == f"##vso[task.uploadsummary]{written.resolve()}"
    assert "Plan: 0 to add, 1 to change" in written.read_text()


def run_tool(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """The tool as CI runs it: `python tools/plan_comment.py ...`, in a process of its own."""
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize(
    ("platform", "missing"),
    [
        ("github", "GITHUB_TOKEN"),
        ("github", "GITHUB_REPOSITORY"),
        ("azure_devops", "SYSTEM_ACCESSTOKEN"),
        ("azure_devops", "SYSTEM_PULLREQUEST_PULLREQUESTID"),
    ],
)
def test_a_missing_variable_is_named_in_one_line(
    fake: Fake, plan_file: Path, tmp_path: Path, platform: str, missing: str
) -> None:
    env = github_env(fake, tmp_path) if platform == "github" else ado_env(fake)
    del env[missing]
    args = ["post", "--platform", platform, "--environment", "staging", "--plan", str(plan_file)]
    result = run_tool(args, env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"plan_comment: {missing} is not set")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert fake.requests == []


def test_a_missing_plan_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "tfplan.txt"
    args = ["post", "--platform", "github", "--environment", "staging", "--plan", str(missing)]
    result = run_tool(args, {})
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"plan_comment: {missing} cannot be read: run `make tf-plan` first"
    )


def test_a_refused_call_names_its_status_and_url(
    fake: Fake, plan_file: Path, tmp_path: Path
) -> None:
    fake.refuse["POST"] = 403
    args = ["post", "--platform", "github", "--environment", "staging", "--plan", str(plan_file)]
    result = run_tool(args, github_env(fake, tmp_path))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    url = f"{fake.url}/repos/{REPO}/issues/{PR}/comments"
    assert line.startswith(f"plan_comment: POST {url}: HTTP 403 Forbidden: Resource not accessible")
    assert "permission to comment on pull requests" in line
    assert TOKEN not in result.stderr


def test_a_wrong_token_and_an_unreachable_server_fail_in_one_line(
    fake: Fake, plan_file: Path, tmp_path: Path
) -> None:
    env = ado_env(fake) | {"SYSTEM_ACCESSTOKEN": "wrong"}
    args = [
        "post",
        "--platform",
        "azure_devops",
        "--environment",
        "staging",
        "--plan",
        str(plan_file),
    ]
    result = run_tool(args, env)
    assert result.returncode == 1
    assert f"GET {fake.url}/org/{ADO_PROJECT}/_apis/git/" in result.stderr
    assert "HTTP 401" in result.stderr and "Traceback" not in result.stderr

    env = ado_env(fake) | {"SYSTEM_COLLECTIONURI": "http://127.0.0.1:9/org/"}
    result = run_tool(args, env)
    assert result.returncode == 1
    assert result.stderr.startswith("plan_comment: GET http://127.0.0.1:9/org/")
    assert "no answer" in result.stderr and "Traceback" not in result.stderr


def test_make_plan_comment_posts_with_the_pipelines_variables(
    fake: Fake, plan_file: Path, tmp_path: Path
) -> None:
    """`make plan-comment`, as the pull-request pipeline runs it, with only the variables the
    CI sets (and the token the step maps)."""
    env = github_env(fake, tmp_path) if PLATFORM == "github_actions" else ado_env(fake)
    result = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(PROJECT),
            "plan-comment",
            "TF_ENV=staging",
            f"TF_DIR={plan_file.parent}",
            f"PYTHON={sys.executable}",
        ],
        capture_output=True,
        text=True,
        env=env | {"PATH": os.environ["PATH"]},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Created the staging plan comment" in result.stdout
    posted = fake.comments or [c for t in fake.threads for c in t["comments"]]
    assert len(posted) == 1
