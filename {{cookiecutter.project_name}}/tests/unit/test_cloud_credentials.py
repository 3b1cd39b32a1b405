"""tools/cloud_credentials.py against a fake Azure DevOps answering the job OIDC token request
(a real local HTTP server): the token lands in a private file, the cloud's SDK is pointed at
it, and a missing variable or a refused request is one line with its exit code."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
TOOL = PROJECT / "tools" / "cloud_credentials.py"
_spec = importlib.util.spec_from_file_location("cloud_credentials", TOOL)
cloud_credentials = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cloud_credentials)

ACCESS = "fake-system-access-token"  # pragma: allowlist secret (what the fake server expects)
OIDC = "header.payload.signature"  # pragma: allowlist secret (a stand-in JWT)
PROJECT_ID = "0b1e2c3d-0000-4000-8000-000000000001"
PLAN, JOB = "0b1e2c3d-0000-4000-8000-000000000002", "0b1e2c3d-0000-4000-8000-000000000003"


@pytest.fixture
def devops():
    """Azure DevOps's distributed-task API, as far as the OIDC token request goes."""
    asked: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            asked.append({"path": self.path, "authorization": self.headers["Authorization"]})
            expected = f"/org/{PROJECT_ID}/_apis/distributedtask/hubs/build/plans/{PLAN}/jobs/{JOB}/oidctoken"
            if self.headers["Authorization"] != f"Bearer {ACCESS}":
                code, body = 401, {"message": "unauthorized"}
            elif self.path.split("?")[0] != expected:
                code, body = 404, {"message": "no such job"}
            else:
                code, body = 200, {"oidcToken": OIDC}
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    env = {
        "SYSTEM_ACCESSTOKEN": ACCESS,
        "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": f"http://127.0.0.1:{server.server_port}/org/",
        "SYSTEM_TEAMPROJECTID": PROJECT_ID,
        "SYSTEM_HOSTTYPE": "build",
        "SYSTEM_PLANID": PLAN,
        "SYSTEM_JOBID": JOB,
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci-staging",
        "GCP_WORKLOAD_IDENTITY_PROVIDER": "projects/1/locations/global/workloadIdentityPools/ci/providers/ado",
        "GCP_SERVICE_ACCOUNT": "ci-staging@project.iam.gserviceaccount.com",
    }
    yield env, asked
    server.shutdown()


def exports(out: str) -> dict[str, str]:
    """What `eval "$(...)"` would set, read back from the printed export lines."""
    found = {}
    for line in out.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        found[name] = shlex.split(value)[0]
    return found


def test_aws_gets_a_private_token_file_for_web_identity(devops, tmp_path: Path, capsys) -> None:
    env, asked = devops
    assert cloud_credentials.main(["--cloud", "aws", "--dir", str(tmp_path)], env) == 0
    [(name, path)] = exports(capsys.readouterr().out).items()
    assert name == "AWS_WEB_IDENTITY_TOKEN_FILE"
    assert Path(path).read_text() == OIDC
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    [request] = asked
    assert request["authorization"] == f"Bearer {ACCESS}"


def test_gcp_gets_an_external_account_configuration(devops, tmp_path: Path, capsys) -> None:
    env, _ = devops
    assert cloud_credentials.main(["--cloud", "gcp", "--dir", str(tmp_path)], env) == 0
    [(name, path)] = exports(capsys.readouterr().out).items()
    assert name == "GOOGLE_APPLICATION_CREDENTIALS"
    configuration = json.loads(Path(path).read_text())
    provider = env["GCP_WORKLOAD_IDENTITY_PROVIDER"]
    assert configuration["type"] == "external_account"
    assert configuration["audience"] == f"//iam.googleapis.com/{provider}"
    assert configuration["service_account_impersonation_url"].endswith(
        f"/serviceAccounts/{env['GCP_SERVICE_ACCOUNT']}:generateAccessToken"
    )
    assert Path(configuration["credential_source"]["file"]).read_text() == OIDC


@pytest.mark.parametrize("missing", ["SYSTEM_ACCESSTOKEN", "AWS_ROLE_ARN"])
def test_a_missing_variable_is_exit_2_naming_it(devops, tmp_path, capsys, missing: str) -> None:
    env, asked = devops
    del env[missing]
    assert cloud_credentials.main(["--cloud", "aws", "--dir", str(tmp_path)], env) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cloud_credentials: {missing} not set") and err.count("\n") == 1
    assert asked == [] and not list(tmp_path.iterdir())


def test_a_refused_token_request_is_exit_1_and_writes_nothing(devops, tmp_path, capsys) -> None:
    env, _ = devops
    env["SYSTEM_ACCESSTOKEN"] = "another"  # pragma: allowlist secret
    assert cloud_credentials.main(["--cloud", "aws", "--dir", str(tmp_path)], env) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "another" not in err
    assert not list(tmp_path.iterdir())


def test_the_printed_lines_set_the_variable_in_a_shell(devops, tmp_path: Path) -> None:
    env, _ = devops
    folder = tmp_path / "with space"
    script = f'eval "$({shlex.quote(sys.executable)} {TOOL} --cloud aws --dir {shlex.quote(str(folder))})"; cat "$AWS_WEB_IDENTITY_TOKEN_FILE"'
    done = subprocess.run(
        ["bash", "-c", script],
        env={**env, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == OIDC
