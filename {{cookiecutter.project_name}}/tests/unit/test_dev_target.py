"""dev_target: the values of a developer's dev deployment, from a real git checkout (with a
local bare repository as its remote) and a fake workspace answering the SCIM "me" call to the
real Databricks SDK client."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config

from tools.dev_target import developer_name, https_url, main

USER = "Ada.Lovelace@example.com"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A clone on branch feature/tweak, pushed to its remote (a bare repository)."""
    remote, clone = tmp_path / "remote.git", tmp_path / "clone"
    git(tmp_path, "init", "--bare", "-q", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    git(clone, "checkout", "-q", "-b", "feature/tweak")
    (clone / "README.md").write_text("x\n")
    git(clone, "add", "README.md")
    git(clone, "commit", "-q", "-m", "first")
    git(clone, "push", "-q", "-u", "origin", "feature/tweak")
    git(clone, "remote", "set-url", "origin", "git@github.com:acme/admission-risk.git")
    git(clone, "remote", "set-url", "--push", "origin", str(remote))
    return clone


@pytest.fixture
def workspace():
    """A workspace whose current user is USER; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            found = self.path.startswith("/api/2.0/preview/scim/v2/Me")
            body = json.dumps({"userName": USER} if found else {"error_code": "NOT_FOUND"})
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def dev_target(host: str, root: Path, *argv: str) -> int:
    client = lambda: WorkspaceClient(config=Config(host=host, token="t", retry_timeout_seconds=5))  # noqa: E731
    return main(list(argv), client, root)


def test_it_writes_the_values_of_the_developers_deployment(
    workspace: str, checkout: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "developer.auto.tfvars.json"
    assert dev_target(workspace, checkout, "--out", str(out)) == 0
    assert json.loads(out.read_text()) == {
        "developer": "ada_lovelace",
        "run_as": USER,
        "notification_email": USER,
        "workspace_host": workspace,
        "git_branch": "feature/tweak",
        "git_url": "https://github.com/acme/admission-risk",
    }
    assert "jobs dev-ada_lovelace-..." in capsys.readouterr().out
    assert dev_target(workspace, checkout, "--out", str(out), "--developer", "ada") == 0
    assert json.loads(out.read_text())["developer"] == "ada"


def test_unpushed_commits_write_nothing(
    workspace: str, checkout: Path, tmp_path: Path, capsys
) -> None:
    (checkout / "README.md").write_text("changed\n")
    git(checkout, "commit", "-q", "-am", "not pushed")
    out = tmp_path / "developer.auto.tfvars.json"
    assert dev_target(workspace, checkout, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "1 commit(s) of 'feature/tweak' are not on origin/feature/tweak" in err
    assert "git push first" in err and not out.exists()


def test_a_branch_without_a_remote_writes_nothing(
    workspace: str, checkout: Path, tmp_path: Path, capsys
) -> None:
    git(checkout, "checkout", "-q", "-b", "feature/local-only")
    out = tmp_path / "developer.auto.tfvars.json"
    assert dev_target(workspace, checkout, "--out", str(out)) == 2
    assert "git push -u origin feature/local-only" in capsys.readouterr().err
    assert not out.exists()


def test_a_bad_name_or_no_workspace_writes_nothing(
    workspace: str, checkout: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "developer.auto.tfvars.json"
    assert dev_target(workspace, checkout, "--out", str(out), "--developer", "Ada-L") == 2
    assert "developer 'Ada-L' is not a usable name" in capsys.readouterr().err
    assert dev_target("http://127.0.0.1:9", checkout, "--out", str(out)) == 2
    assert capsys.readouterr().err.startswith("dev-target: ")
    assert not out.exists()


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("ada.lovelace@example.com", "ada_lovelace"),
        ("Grace-Hopper@example.com", "grace_hopper"),
        ("1234abcd-0000-4000-8000-00000000abcd", "u_1234abcd_0000_4000_8000_00000000abcd"),
        ("x" * 60 + "@example.com", "x" * 40),
    ],
)
def test_the_developer_name_comes_from_the_user_name(user: str, name: str) -> None:
    assert developer_name(user) == name


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:acme/risk.git", "https://github.com/acme/risk"),
        ("ssh://git@github.com/acme/risk.git", "https://github.com/acme/risk"),
        ("https://github.com/acme/risk.git", "https://github.com/acme/risk.git"),
        (
            "git@ssh.dev.azure.com:v3/acme/health/risk",
            "https://dev.azure.com/acme/health/_git/risk",
        ),
        (
            "https://acme@dev.azure.com/acme/health/_git/risk",
            "https://dev.azure.com/acme/health/_git/risk",
        ),
    ],
)
def test_the_jobs_get_the_https_url_of_the_remote(remote: str, url: str) -> None:
    assert https_url(remote) == url
