"""Remove what an unchosen option does not need, copy the configuration as generated for the
project's tests, then say what is left to fill in.

The whole removal policy is the table below: a path (or glob) inside the generated project is kept
only when the named prompt has the named answer (or one of the named answers). Nothing else is
ever deleted.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ONLY_FOR: dict[str, tuple[str, str | tuple[str, ...]]] = {
    ".azure-pipelines": ("cicd_platform", "azure_devops"),
    ".github": ("cicd_platform", "github_actions"),
    "terraform/envs/*/backend_azurerm.tf": ("cloud", "azure"),
    "terraform/envs/*/backend_s3.tf": ("cloud", "aws"),
    "terraform/envs/*/backend_gcs.tf": ("cloud", "gcp"),
    # Azure DevOps signs in with Entra service connections on Azure, with the job's OIDC token
    # (Databricks federation policies, the cloud's workload identity federation) elsewhere
    ".azure-pipelines/templates/terraform.yml": ("cloud", "azure"),
    ".azure-pipelines/templates/check-jobs.yml": ("cloud", "azure"),
    ".azure-pipelines/templates/terraform-oidc.yml": ("cloud", ("aws", "gcp")),
    ".azure-pipelines/templates/check-jobs-oidc.yml": ("cloud", ("aws", "gcp")),
    "tools/cloud_credentials.py": ("cloud", ("aws", "gcp")),
    "tests/unit/test_cloud_credentials.py": ("cloud", ("aws", "gcp")),
    "terraform/modules/ml_jobs/git_credential.tf": ("cicd_platform", "azure_devops"),
    "terraform/modules/ml_jobs/model_unity_catalog.tf": ("model_registry", "unity_catalog"),
    "terraform/modules/ml_jobs/model_workspace.tf": ("model_registry", "workspace"),
}


def paths_to_remove(project: Path, answers: dict) -> list[Path]:
    """Every path of ONLY_FOR whose prompt was answered otherwise, as it exists under `project`."""
    doomed: list[Path] = []
    for pattern, (prompt, keep_when) in ONLY_FOR.items():
        kept = keep_when if isinstance(keep_when, tuple) else (keep_when,)
        if answers[prompt] not in kept:
            doomed.extend(sorted(project.glob(pattern)))
    return doomed


def remove(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():  # inside a folder removed already
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def still_to_fill(answers: dict) -> list[str]:
    """Answers left at a placeholder: fine for local runs, to be made real before deploying."""
    todo = [
        f"{prompt} is empty: set it in terraform/envs/{env}/terraform.tfvars before deploying"
        for prompt, env in (("staging_workspace_host", "staging"), ("prod_workspace_host", "prod"))
        if not answers[prompt]
    ]
    if answers["cloud"] != "azure":
        todo.append(
            f"cloud is {answers['cloud']}: the pipelines sign in with OIDC tokens (Databricks "
            "federation policies, made by the platform bootstrap with cloud = "
            f'"{answers["cloud"]}"); the state bucket and the CI\'s cloud identity are yours to '
            "make first (terraform/README.md of the template)"
        )
    if answers["notification_email"].endswith("@example.com"):
        todo.append(
            "notification_email is an example.com address: set notification_email in "
            "terraform/envs/*/terraform.tfvars before deploying"
        )
    return todo


# The tests' own copy of the configuration as generated (the health-plan example): conf/ is the
# team's to change, and the project's tests must keep passing when it does.
EXAMPLE_CONF = ("conf", "tests/example_conf")


def copy_example_conf(project: Path) -> None:
    source, target = (project / part for part in EXAMPLE_CONF)
    shutil.copytree(source, target)


def main(project: Path, answers: dict) -> int:
    remove(paths_to_remove(project, answers))
    copy_example_conf(project)
    print(f"Generated {project.name}. Next: cd {project.name} && make test && make run")
    for line in still_to_fill(answers):
        print(f"  to do: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd(), json.loads(r"""{{ cookiecutter | tojson }}""")))
