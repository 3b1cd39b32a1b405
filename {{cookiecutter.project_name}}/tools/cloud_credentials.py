"""Cloud credentials without a secret for an Azure DevOps job on AWS or Google Cloud, made from
the job's own OpenID Connect token: what Terraform's state backend (S3, GCS) signs in with.

    eval "$(python tools/cloud_credentials.py --cloud aws --dir "$AGENT_TEMPDIRECTORY")"

It asks Azure DevOps for the job's OIDC token (the endpoint the Databricks SDK's
azure-devops-oidc sign-in uses; issuer https://vstoken.dev.azure.com/<organization id>, audience
api://AzureADTokenExchange), writes it to a file only the job's user can read, and prints the
`export` lines that point the cloud's SDK at it:

- aws: AWS_WEB_IDENTITY_TOKEN_FILE (with AWS_ROLE_ARN from the variable group, the SDK assumes
  the role through AssumeRoleWithWebIdentity);
- gcp: GOOGLE_APPLICATION_CREDENTIALS, an external-account configuration that exchanges the
  token at Google's STS for the service account GCP_SERVICE_ACCOUNT, through the workload
  identity provider GCP_WORKLOAD_IDENTITY_PROVIDER.

Databricks itself needs none of this: DATABRICKS_AUTH_TYPE=azure-devops-oidc reads the same
token. Standard library only. Errors are one line: exit 2 for a variable the step must set,
exit 1 when Azure DevOps refuses the token request.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import urllib.error
import urllib.request
from pathlib import Path

# What the step must map or the agent sets (SYSTEM_ACCESSTOKEN: $(System.AccessToken)).
AGENT_VARIABLES = (
    "SYSTEM_ACCESSTOKEN",
    "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
    "SYSTEM_TEAMPROJECTID",
    "SYSTEM_HOSTTYPE",
    "SYSTEM_PLANID",
    "SYSTEM_JOBID",
)
CLOUD_VARIABLES = {
    "aws": ("AWS_ROLE_ARN",),
    "gcp": ("GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_SERVICE_ACCOUNT"),
}
TOKEN_FILE = "azure-devops-oidc-token"
GCP_FILE = "gcp-external-account.json"
TIMEOUT_SECONDS = 30


class CredentialsError(Exception):
    """A one-line error for the CI log, with its exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _required(env: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise CredentialsError(
            f"{', '.join(missing)} not set: map SYSTEM_ACCESSTOKEN: $(System.AccessToken) in the "
            "step's env; the others come from the agent or the environment's variable group",
            2,
        )
    return {name: env[name] for name in names}


def job_token(env: dict[str, str]) -> str:
    """The job's OIDC token from Azure DevOps."""
    found = _required(env, AGENT_VARIABLES)
    url = (
        f"{found['SYSTEM_TEAMFOUNDATIONCOLLECTIONURI'].rstrip('/')}/"
        f"{found['SYSTEM_TEAMPROJECTID']}/_apis/distributedtask/hubs/{found['SYSTEM_HOSTTYPE']}"
        f"/plans/{found['SYSTEM_PLANID']}/jobs/{found['SYSTEM_JOBID']}/oidctoken"
        "?api-version=7.1-preview.1"
    )
    request = urllib.request.Request(
        url,
        data=b"",
        method="POST",
        headers={
            "Authorization": f"Bearer {found['SYSTEM_ACCESSTOKEN']}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise CredentialsError(f"POST {url}: HTTP {error.code} {error.reason}", 1) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise CredentialsError(f"POST {url}: {reason}", 1) from None
    token = body.get("oidcToken") if isinstance(body, dict) else None
    if not token:
        raise CredentialsError(f"POST {url}: the answer holds no oidcToken", 1)
    return token


def _private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def gcp_configuration(provider: str, service_account: str, token_file: Path) -> dict:
    """Google's external-account configuration: the token in ``token_file``, exchanged for the
    service account's credentials through the workload identity ``provider``."""
    return {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{provider.removeprefix('//iam.googleapis.com/')}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "service_account_impersonation_url": (
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            f"{service_account}:generateAccessToken"
        ),
        "credential_source": {"file": str(token_file)},
    }


def credentials(cloud: str, folder: Path, env: dict[str, str]) -> dict[str, str]:
    """Write the files of ``cloud``'s sign-in under ``folder``; the variables that name them."""
    cloud_values = _required(env, CLOUD_VARIABLES[cloud])
    token_file = folder / TOKEN_FILE
    _private(token_file, job_token(env))
    if cloud == "aws":
        return {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file)}
    configuration = gcp_configuration(
        cloud_values["GCP_WORKLOAD_IDENTITY_PROVIDER"],
        cloud_values["GCP_SERVICE_ACCOUNT"],
        token_file,
    )
    _private(folder / GCP_FILE, json.dumps(configuration, indent=2))
    return {"GOOGLE_APPLICATION_CREDENTIALS": str(folder / GCP_FILE)}


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/cloud_credentials.py")
    parser.add_argument("--cloud", choices=sorted(CLOUD_VARIABLES), required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where to write (the agent's temp)")
    args = parser.parse_args(argv)
    try:
        found = credentials(args.cloud, args.dir, dict(os.environ) if env is None else env)
    except CredentialsError as error:
        print(f"cloud_credentials: {error}", file=sys.stderr)
        return error.code
    for name, value in found.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
