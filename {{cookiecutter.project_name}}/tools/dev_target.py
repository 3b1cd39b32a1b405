"""The values of one developer's dev deployment, for `make dev-deploy` (terraform/envs/dev).

python -m tools.dev_target
    --out terraform/envs/dev/developer.auto.tfvars.json [--developer NAME]

Signs in to the workspace the way the Databricks CLI and Terraform do (DATABRICKS_HOST and your
credentials, or a profile of ~/.databrickscfg through DATABRICKS_CONFIG_PROFILE), and writes:

- ``developer``: your name in every name the deployment makes (jobs ``dev-<developer>-...``, the
  schema, experiment and model of conf/envs/dev.yml): from --developer, else your user name's
  part before the ``@``, lowercased, every other character than a letter or digit made ``_``;
- ``run_as`` and ``notification_email``: your user name (the jobs run as you and tell you of a
  failure);
- ``workspace_host``: the workspace you signed in to;
- ``git_branch`` and ``git_url``: the branch you are on and the https URL of the remote it
  tracks. The jobs check the branch out from that remote, so every commit must be pushed:
  otherwise nothing is written and the exit code is 2, with what to push.

Exit codes: 0 written; 2 nothing written (not signed in, not on a pushed branch, a bad name).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError

from {{ cookiecutter.package_name }}.adapters.tracking import (
    GitError,
    git_output,
)
from {{ cookiecutter.package_name }}.config import DEVELOPER_NAME

WRITTEN, UNUSABLE = 0, 2


class DevTargetError(Exception):
    """Why the dev deployment's values cannot be written; the message says what to do."""


def developer_name(user_name: str) -> str:
    """The name a user is known by in the names of their dev deployment."""
    local = user_name.split("@", 1)[0].lower()
    name = re.sub(r"[^a-z0-9]+", "_", local).strip("_")
    name = name if name[:1].isalpha() else f"u_{name}"
    return name[:40].rstrip("_")


def https_url(remote: str) -> str:
    """The https URL Databricks fetches a repository from, for a git remote's URL: ssh forms
    of GitHub and Azure DevOps rewritten, a user name in an https URL dropped."""
    remote = remote.strip().removesuffix("/")
    ado_ssh = re.fullmatch(
        r"(?:ssh://)?git@ssh\.dev\.azure\.com[:/]v3/([^/]+)/([^/]+)/(.+)", remote
    )
    if ado_ssh:
        org, project, repo = ado_ssh.groups()
        return f"https://dev.azure.com/{org}/{project}/_git/{repo}"
    ssh = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?", remote)
    if ssh:
        return f"https://{ssh.group(1)}/{ssh.group(2)}"
    if remote.startswith("https://"):
        return re.sub(r"^https://[^@/]+@", "https://", remote)
    raise DevTargetError(
        f"git remote URL {remote!r} is neither https:// nor git@host:path: the jobs need the "
        "repository's https URL; set the remote (git remote set-url) or pass TF_VAR_git_url"
    )


def _git(root: Path, *args: str) -> str:
    try:
        return git_output(root, *args).strip()
    except GitError as error:
        raise DevTargetError(str(error)) from None


def pushed_branch(root: Path) -> tuple[str, str]:
    """(branch, https URL of its remote) of the checkout at ``root``, refused unless every
    commit of the branch is on the remote branch it tracks."""
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        raise DevTargetError(
            "no branch is checked out (detached HEAD): the dev jobs run a branch; check out "
            "your feature branch"
        )
    try:
        upstream = _git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
    except DevTargetError:
        raise DevTargetError(
            f"branch {branch!r} tracks no remote branch: the dev jobs check it out from the "
            f"remote; push it first (git push -u origin {branch})"
        ) from None
    remote, _, remote_branch = upstream.partition("/")
    ahead = int(_git(root, "rev-list", "--count", f"{upstream}..HEAD"))
    if ahead:
        raise DevTargetError(
            f"{ahead} commit(s) of {branch!r} are not on {upstream}: the dev jobs run what the "
            "remote has; git push first"
        )
    return remote_branch, https_url(_git(root, "remote", "get-url", remote))


def values(client: WorkspaceClient, root: Path, developer: str | None = None) -> dict[str, Any]:
    """The variables of terraform/envs/dev for the signed-in user at the checkout ``root``."""
    user_name = client.current_user.me().user_name or ""
    if not user_name:
        raise DevTargetError(f"the workspace {client.config.host} gave no user name for you")
    name = developer or developer_name(user_name)
    if not DEVELOPER_NAME.fullmatch(name):
        raise DevTargetError(
            f"developer {name!r} is not a usable name: lowercase letters, digits and _, "
            "starting with a letter, at most 40 characters; set DEVELOPER=..."
        )
    branch, url = pushed_branch(root)
    return {
        "developer": name,
        "run_as": user_name,
        "notification_email": user_name,
        "workspace_host": client.config.host,
        "git_branch": branch,
        "git_url": url,
    }


def main(
    argv: list[str] | None = None,
    client_factory: Callable[[], WorkspaceClient] = WorkspaceClient,
    root: Path = Path(),
) -> int:
    """Write the dev deployment's values; the exit codes of the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.dev_target",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--out", type=Path, required=True, help="the .auto.tfvars.json to write")
    parser.add_argument("--developer", help="your name in the deployment's names (default: yours)")
    args = parser.parse_args(argv)
    try:
        found = values(client_factory(), root, args.developer or None)
    except DevTargetError as error:
        problem = str(error)
    except DatabricksError as error:
        problem = f"the workspace answered {type(error).__name__}: {error}"
    except OSError as error:  # connection refused, DNS, timeouts after the SDK's own retries
        problem = f"cannot reach the workspace: {error}; check DATABRICKS_HOST and the network"
    except ValueError as error:  # how the SDK says it cannot configure or authenticate
        problem = (
            "cannot sign in to Databricks: run `databricks auth login --host <dev workspace> "
            "--profile dev` and `export DATABRICKS_CONFIG_PROFILE=dev` (or set DATABRICKS_HOST "
            f"and your credentials) ({str(error).splitlines()[0][:300]})"
        )
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        print(
            f"dev deployment of {found['developer']!r}: jobs dev-{found['developer']}-..., "
            f"branch {found['git_branch']} of {found['git_url']}, on {found['workspace_host']}"
        )
        return WRITTEN
    print(f"dev-target: {problem}", file=sys.stderr)
    return UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
