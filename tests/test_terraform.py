"""The generated Terraform, for every option set, checked as far as possible without a workspace.

`terraform init/validate/plan` need the Databricks provider binary, which cannot be downloaded
here; the generated pipelines run them. Up to that boundary: every databricks_* block against the
provider's own schema, each job evaluated into the Jobs API's shape and loaded strictly by
databricks-bundles, policy (branches, schedules, retries, timeouts, identities, notebooks and
their widgets, permissions, agreement with conf/), no secrets, and checkov.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from combinations import IDS, OPTION_SETS
from conftest import PROMPTS, checkov_reports
from databricks.bundles.jobs import Job
from provider_schema import file_problems
from terraform_render import jobs as render_jobs
from terraform_render import load, load_dir, module_scope, resolve

ENVS = {"staging": "default_branch", "prod": "release_branch", "dev": None}
RUN_AS = {  # what the deploy pipeline passes as TF_VAR_run_as (bootstrap output)
    "staging": "11111111-1111-4111-8111-111111111111",
    "prod": "22222222-2222-4222-8222-222222222222",
    "dev": "ada.lovelace@example.com",  # a developer's dev deployment runs as the developer
}
GIT_URL = "https://git.example.invalid/org/repo"
DEV = {  # what `make dev-deploy` writes for terraform/envs/dev (python -m tools.dev_target)
    "developer": "ada",
    "notification_email": RUN_AS["dev"],
    "git_branch": "feature/ada-tweak",
    "workspace_host": "https://dev.example.invalid",
}
GIT_PROVIDER = {"azure_devops": "azureDevOpsServices", "github_actions": "gitHub"}
NODE_TYPES = {"azure": "Standard_D4ds_v5", "aws": "m5d.xlarge", "gcp": "n2-standard-4"}
SCHEDULED = {
    "features": "feature_schedule",
    "training": "training_schedule",
    "inference": "inference_schedule",
}
TASK_ORDER = {
    "features": ["ingest", "validate_data", "features"],
    "training": ["train", "validate", "deploy"],
    "inference": ["infer", "deliver"],
    "delivery": ["deliver"],
    "rollback": ["rollback"],
}
WIDGET = re.compile(r'dbutils\.widgets\.\w+\(\s*"(\w+)"')
SECRET_NAME = re.compile(r"token|secret|password", re.IGNORECASE)
SECRET_VALUE = re.compile(
    r"dapi[0-9a-f]{32}|gh[pousr]_[A-Za-z0-9]{30,}|-----BEGIN [A-Z ]*PRIVATE KEY"
)
INDEXES = pytest.mark.parametrize("index", range(len(OPTION_SETS)), ids=IDS)


def answers_of(index: int) -> dict:
    """The option set's answers, with the defaults of the prompts it leaves out."""
    defaults = {k: v for k, v in PROMPTS.items() if isinstance(v, str) and "{{" not in v}
    return defaults | OPTION_SETS[index]


def root_values(env: str) -> dict[str, str]:
    """What the deploy pipeline (or make dev-deploy) passes to the root of ``env``."""
    return {"run_as": RUN_AS[env], "git_url": GIT_URL} | (DEV if env == "dev" else {})


def rendered(project: Path, env: str) -> dict[str, dict]:
    return render_jobs(project / "terraform" / "envs" / env, root_values(env))


def developer_of(env: str) -> str:
    return DEV["developer"] if env == "dev" else ""


def with_developer(overlay: dict, env: str) -> dict:
    """A conf overlay as the code reads it, ${developer} filled in (dev)."""
    return yaml.safe_load(yaml.safe_dump(overlay).replace("${developer}", developer_of(env)))


def by_job(jobs: dict[str, dict]) -> dict[str, dict]:
    return {address.split('"')[1]: job for address, job in jobs.items()}


@INDEXES
def test_every_databricks_block_fits_the_provider_schema(projects: list[Path], index: int) -> None:
    problems = []
    for path in sorted((projects[index] / "terraform").rglob("*.tf")):
        problems += file_problems(path, load(path))
    assert problems == []


def test_the_schema_check_catches_what_terraform_validate_would() -> None:
    document = {
        "resource": [
            {
                "databricks_job": {
                    "x": {
                        "nmae": "typo",
                        "git_source": [{"url": "a"}, {"url": "b"}],
                        "task": [{"task_key": "t", "notebook_task": [{"base_parameters": {}}]}],
                    }
                },
                "databricks_permissions": {
                    "p": {
                        "job_id": "${databricks_job.x.job_idd}",
                        "access_control": [{"group_name": "g", "permission_level": "CAN_VIEW"}],
                    }
                },
                "databricks_jobb": {"y": {}},
            }
        ]
    }
    problems = file_problems(Path("bad.tf"), document)
    assert problems == [
        "bad.tf: resource databricks_job.x: unknown attribute or block 'nmae'",
        "bad.tf: resource databricks_job.x: block 'git_source' may appear once, found 2",
        "bad.tf: resource databricks_job.x.task.notebook_task: required 'notebook_path' is missing",
        "bad.tf: resource databricks_jobb.y: provider 1.99.0 has no databricks_jobb",
        "bad.tf: databricks_job has no attribute 'job_idd'",
    ]


@INDEXES
def test_each_job_loads_strictly_as_a_jobs_api_job(projects: list[Path], index: int) -> None:
    for env in ENVS:
        jobs = by_job(rendered(projects[index], env))
        assert sorted(jobs) == sorted(TASK_ORDER)
        for job in jobs.values():
            Job.from_dict(job)


def test_the_strict_loader_refuses_a_field_the_api_does_not_have(projects: list[Path]) -> None:
    kinds = set()
    for project in projects[:2]:  # serverless and classic
        task = by_job(rendered(project, "staging"))["training"]["tasks"][0]
        kind = "notebook_task" if "notebook_task" in task else "spark_python_task"
        kinds.add(kind)
        task[kind]["file_pth"] = "notebooks/train"
        with pytest.raises(Exception, match="file_pth"):
            Job.from_dict({"name": "x", "tasks": [task]})
    assert kinds == {"notebook_task", "spark_python_task"}


def notebook_widgets(project: Path, notebook_path: str) -> set[str]:
    notebook = project / f"{notebook_path}.py"
    assert notebook.is_file(), f"{notebook_path}: no such notebook in the repository"
    text = notebook.read_text()
    assert text.startswith("# Databricks notebook source\n"), notebook
    return set(WIDGET.findall(text))


@INDEXES
def test_jobs_follow_the_policy(projects: list[Path], index: int) -> None:
    answers, project = answers_of(index), projects[index]
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    names = []
    for env, branch_prompt in ENVS.items():
        for key, job in by_job(rendered(project, env)).items():
            names.append(job["name"])
            developer = developer_of(env)
            prefix = f"{env}-{developer}-" if developer else f"{env}-"
            assert job["name"] == f"{prefix}{answers['project_name']}-{key}"
            assert job["git_source"] == {
                "git_url": GIT_URL,
                "git_provider": GIT_PROVIDER[answers["cicd_platform"]],
                "git_branch": answers[branch_prompt] if branch_prompt else DEV["git_branch"],
            }
            # staging and prod run as their service principal; a dev deployment as its developer
            identity = "user_name" if developer else "service_principal_name"
            assert job["run_as"] == {identity: RUN_AS[env]}
            assert job["max_concurrent_runs"] == 1
            email = DEV["notification_email"] if developer else answers["notification_email"]
            assert job["email_notifications"]["on_failure"] == [email]
            if key in SCHEDULED:
                assert job["schedule"] == {
                    "quartz_cron_expression": answers[SCHEDULED[key]],
                    "timezone_id": answers["schedule_timezone"],
                    "pause_status": "PAUSED" if developer else "UNPAUSED",
                }
            else:
                assert "schedule" not in job
            compute = job_compute(job, answers, env, dependencies)
            tasks = job["tasks"]
            assert [t["task_key"] for t in tasks] == TASK_ORDER[key]
            for position, task in enumerate(tasks):
                where = f"{env} {key}.{task['task_key']}"
                assert task["max_retries"] >= 1, where
                assert task["min_retry_interval_millis"] >= 60_000, where
                assert 0 < task["timeout_seconds"] <= job["timeout_seconds"], where
                upstream = [d["task_key"] for d in task["depends_on"]]
                assert upstream == [t["task_key"] for t in tasks[position - 1 : position]], where
                if compute == "classic":
                    assert task["job_cluster_key"] == "main", where
                    assert "environment_key" not in task and "spark_python_task" not in task, where
                    notebook = task["notebook_task"]
                    widgets = notebook_widgets(project, notebook["notebook_path"])
                    assert set(notebook["base_parameters"]) == widgets, where
                    assert notebook["base_parameters"]["env"] == env, where
                    assert notebook["base_parameters"]["developer"] == developer, where
                    packages = [library["pypi"]["package"] for library in task["libraries"]]
                    assert packages and set(packages) <= set(dependencies), where
                else:
                    # serverless: the job's environment, a Python script, no task libraries
                    assert task["environment_key"] == "default", where
                    assert "job_cluster_key" not in task and "notebook_task" not in task, where
                    assert not task.get("libraries"), where  # an empty dynamic block: none
                    script = task["spark_python_task"]
                    assert script["source"] == "GIT", where
                    assert (project / script["python_file"]).is_file(), where
                    dated = ["--score-date", ""] if task["task_key"] in DATED else []
                    assert script["parameters"] == [
                        "{{task.name}}",
                        *("--env", env, "--developer", developer),
                        *dated,
                    ], where
    assert len(names) == len(set(names)), "job names must differ between environments"


DATED = {"infer", "deliver"}  # the tasks that take a score date (their notebooks' widget)


def job_compute(job: dict, answers: dict, env: str, dependencies: list[str]) -> str:
    """The job's compute, checked against the answer that chose it: classic job clusters on an
    ML runtime, or serverless with one Python environment that installs the project's
    dependencies but pyspark (serverless brings its own, through Databricks Connect)."""
    if answers["job_compute"] == "classic":
        assert not job.get("environments")  # an empty dynamic block: none
        [cluster] = job["job_clusters"]
        new_cluster = cluster["new_cluster"]
        assert cluster["job_cluster_key"] == "main"
        assert new_cluster["node_type_id"] == NODE_TYPES[answers["cloud"]]
        assert new_cluster["data_security_mode"] == "SINGLE_USER"
        assert new_cluster["single_user_name"] == RUN_AS[env]
        assert "-ml-" in new_cluster["spark_version"]
        assert new_cluster["num_workers"] >= 1
        return "classic"
    assert not job.get("job_clusters")
    [environment] = job["environments"]
    assert environment["environment_key"] == "default"
    spec = environment["spec"]
    assert int(spec["environment_version"]) >= 4  # Spark ML on serverless: version 4 and later
    assert spec["dependencies"] == [d for d in dependencies if not d.startswith("pyspark")]
    return "serverless"


def module_resources(project: Path) -> dict[str, dict]:
    module = project / "terraform" / "modules" / "ml_jobs"
    return {
        f"{kind}.{name}": body
        for doc in load_dir(module)
        for entry in doc.get("resource", [])
        for kind, instances in entry.items()
        for name, body in instances.items()
    }


@INDEXES
def test_identities_permissions_and_names_agree_with_conf(projects: list[Path], index: int) -> None:
    answers, project = answers_of(index), projects[index]
    resources = module_resources(project)
    project_conf = yaml.safe_load((project / "conf/project.yml").read_text())
    schema_name = project_conf["storage"]["schema_name"]
    for env in ENVS:
        _, scope = module_scope(project / "terraform" / "envs" / env, root_values(env))
        var = scope["var"]
        overlay = with_developer(
            yaml.safe_load((project / f"conf/envs/{env}.yml").read_text()), env
        )

        def acl(address: str, block: str = "access_control", scope: dict = scope) -> dict:
            """Who gets what from one permissions or grants resource."""
            return {
                entry.get("group_name")
                or entry.get("service_principal_name")
                or entry.get("user_name")
                or entry["principal"]: entry.get("permission_level") or sorted(entry["privileges"])
                for entry in resolve(resources[address][block], scope)
            }

        assert resources["databricks_permissions.jobs"]["for_each"] == "${databricks_job.this}"
        assert acl("databricks_permissions.jobs") == {
            RUN_AS[env]: "IS_OWNER",
            answers["read_group"]: "CAN_VIEW",
        }
        assert acl("databricks_permissions.experiment") == {
            RUN_AS[env]: "CAN_MANAGE",
            answers["read_group"]: "CAN_READ",
        }
        assert acl("databricks_grants.schema", "grant") == {
            answers["read_group"]: ["EXECUTE", "READ_VOLUME", "SELECT", "USE_SCHEMA"]
        }
        assert resolve(resources["databricks_schema.this"]["owner"], scope) == RUN_AS[env]
        assert var["experiment_name"] == overlay["tracking"]["experiment_name"]
        assert var["catalog"] == overlay["storage"]["catalog"] == answers.get(f"{env}_catalog", env)
        assert var["schema"] == overlay["storage"].get("schema_name", schema_name)
        assert var["schema"] == (
            f"{schema_name}_{var['developer']}" if env == "dev" else schema_name
        )
        # the jobs' compute is the one the code judges its settings for
        assert var["compute"] == project_conf["spark"]["compute"] == answers["job_compute"]
        assert (
            overlay["delivery"]["csv_dir"] == f"/Volumes/{var['catalog']}/{var['schema']}/delivery"
        )
        assert resources["databricks_volume.delivery"]["name"] == "delivery"
        assert var["model_name"] == overlay["registry"]["model_name"]
        if answers["model_registry"] == "unity_catalog":
            assert (
                var["model_name"] == f"{var['catalog']}.{var['schema']}.{answers['package_name']}"
            )
            assert (
                resolve(resources["databricks_registered_model.this"]["owner"], scope)
                == RUN_AS[env]
            )
            assert acl("databricks_grants.model", "grant") == {answers["read_group"]: ["EXECUTE"]}
            assert "databricks_mlflow_model.this" not in resources
        else:
            assert (
                resolve(resources["databricks_mlflow_model.this"]["name"], scope)
                == overlay["registry"]["model_name"]
            )
            assert acl("databricks_permissions.model") == {
                RUN_AS[env]: "CAN_MANAGE",
                answers["read_group"]: "CAN_READ",
            }
            assert "databricks_registered_model.this" not in resources


def secrets_in(value, path: str = "") -> list[str]:
    """Attribute names that hold credentials, and values that look like one, in parsed HCL."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_NAME.search(key):
                found.append(f"{path}.{key}")
            found += secrets_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found += secrets_in(item, f"{path}[{n}]")
    elif isinstance(value, str) and SECRET_VALUE.search(value):
        found.append(f"{path} = {value[:12]}...")
    return found


def test_the_secret_scan_finds_credentials() -> None:
    document = {
        "resource": [{"databricks_git_credential": {"x": {"personal_access_token": "x"}}}],
        "locals": [{"t": "dapi" + "0" * 32}],
    }
    assert secrets_in(document) == [
        ".resource[0].databricks_git_credential.x.personal_access_token",
        ".locals[0].t = dapi00000000...",
    ]


@INDEXES
def test_no_token_or_secret_anywhere_in_terraform(projects: list[Path], index: int) -> None:
    terraform = projects[index] / "terraform"
    files = sorted(terraform.rglob("*.tf")) + sorted(terraform.rglob("*.tfvars"))
    found = [
        f"{path.relative_to(terraform)}{hit}" for path in files for hit in secrets_in(load(path))
    ]
    assert found == []


def test_checkov_finds_no_failed_check(projects: list[Path]) -> None:
    """checkov has no checks for databricks_* resources (the policy tests above are ours); it
    still parses every tree and would flag any cloud resource or backend setting it knows."""
    reports = checkov_reports([project / "terraform" for project in projects])
    summaries = [report.get("summary", report) for report in reports]
    assert [s["parsing_errors"] for s in summaries] == [0] * len(summaries)
    failed = [
        f"{check['check_id']} {check['file_path']} {check['resource']}"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert (failed, [s["failed"] for s in summaries]) == ([], [0] * len(summaries))
