"""The platform bootstrap in terraform/: formatted, parseable, checkov-clean, and keeping the
security policies of a regulated deployment (no secrets, federated sign-in only, protected state,
an approval before prod)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, checkov_reports
from provider_schema import file_problems
from terraform_render import load

BOOTSTRAP = REPO / "terraform"
TF_FILES = sorted(BOOTSTRAP.glob("*.tf"))
EXAMPLES = [BOOTSTRAP / "terraform.tfvars.example", BOOTSTRAP / "backend.tf.example"]
ENVIRONMENTS = ("staging", "prod")
PIPELINE_VARIABLES = (
    "DATABRICKS_HOST",
    "ARM_TENANT_ID",
    "ARM_CLIENT_ID",
    "SERVICE_CONNECTION",
    "TF_STATE_RESOURCE_GROUP",
    "TF_STATE_STORAGE_ACCOUNT",
    "TF_STATE_CONTAINER",
)
SECRET_RESOURCES = {
    "azuread_application_password",
    "azuread_service_principal_password",
    "azuread_application_certificate",
    "azuread_service_principal_certificate",
    "databricks_obo_token",
    "databricks_token",
    "databricks_service_principal_secret",
    "azuredevops_personal_access_token",
    "github_actions_secret",
    "github_actions_environment_secret",
    "azurerm_storage_account_sas",
}
SECRET_ATTRIBUTES = {
    "personal_access_token",
    "client_secret",
    "client_secret_path",
    "azure_client_secret",
    "serviceprincipalkey",
    "serviceprincipalcertificate",
    "client_certificate",
    "client_certificate_password",
    "secret_value",
    "password",
    "token",
    "access_key",
    "sas_token",
}
SKIP_COMMENT = re.compile(r"checkov:skip=([^:\s]*)(?::(.*))?")


@cache
def parsed() -> dict[str, dict[str, Any]]:
    return {path.name: load(path) for path in TF_FILES}


def labelled(kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every `resource` or `data` block."""
    for document in parsed().values():
        for entry in document.get(kind, []):
            for type_, named in entry.items():
                for name, body in named.items():
                    yield type_, name, body


def resources(type_: str) -> dict[str, dict[str, Any]]:
    return {name: body for t, name, body in labelled("resource") if t == type_}


def named_blocks(kind: str) -> dict[str, dict[str, Any]]:
    """`variable`, `output` and similar one-label blocks, by name."""
    found = {}
    for document in parsed().values():
        for entry in document.get(kind, []):
            found.update(entry)
    return found


def locals_() -> dict[str, Any]:
    merged = {}
    for document in parsed().values():
        for entry in document.get("locals", []):
            merged.update(entry)
    return merged


def first(blocks: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    return blocks[0] if isinstance(blocks, list) else blocks


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair at any depth, comments left out."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "__comments__":
                continue
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_the_bootstrap_has_its_files() -> None:
    names = {path.name for path in BOOTSTRAP.iterdir()}
    required = {"versions.tf", "variables.tf", "outputs.tf", "README.md"}
    assert required | {path.name for path in EXAMPLES} <= names
    assert len(TF_FILES) >= 5


def test_databricks_blocks_match_the_provider_schema() -> None:
    problems = [p for path in TF_FILES for p in file_problems(path, parsed()[path.name])]
    assert not problems, "\n".join(problems)
    assert any(t.startswith("databricks_") for t, _, _ in labelled("resource"))


def test_terraform_fmt_finds_nothing_to_change() -> None:
    terraform = shutil.which("terraform")
    assert terraform, "terraform is not on PATH"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-no-color", "terraform"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"not formatted:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_files_are_formatted(path: Path) -> None:
    terraform = shutil.which("terraform")
    assert terraform, "terraform is not on PATH"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-no-color", "-"],
        input=path.read_text(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{path.name} is not formatted:\n{result.stdout}"


@pytest.mark.parametrize("path", TF_FILES + EXAMPLES, ids=lambda path: path.name)
def test_every_file_parses(path: Path) -> None:
    assert load(path), f"{path.name} parsed to nothing"


@pytest.fixture(scope="module")
def checkov_summary() -> dict[str, int]:
    reports = checkov_reports([BOOTSTRAP])
    assert all("summary" in r for r in reports), f"no checkov summary: {reports}"
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert not failed, "checkov failed:\n" + "\n".join(
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}" for c in failed
    )
    keys = ("passed", "failed", "skipped", "parsing_errors")
    return {key: sum(r["summary"][key] for r in reports) for key in keys}


def test_checkov_reports_no_failure(checkov_summary: dict[str, int]) -> None:
    assert checkov_summary["failed"] == 0
    assert checkov_summary["parsing_errors"] == 0
    assert checkov_summary["passed"] > 0, "checkov ran no check: it did not read the files"


def skip_comments() -> list[tuple[str, str, str]]:
    """(file, check id, reason) of every inline checkov skip."""
    found = []
    for path in TF_FILES:
        for match in SKIP_COMMENT.finditer(path.read_text()):
            found.append((path.name, match.group(1), (match.group(2) or "").strip()))
    return found


def test_every_checkov_skip_names_a_check_and_gives_a_reason() -> None:
    for file, check, reason in skip_comments():
        assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check), f"{file}: malformed skip {check!r}"
        assert len(reason.split()) >= 6, f"{file}: skip of {check} needs a written reason"


def test_every_checkov_skip_suppresses_a_real_finding(checkov_summary: dict[str, int]) -> None:
    """A skip whose check no longer applies would hide nothing and should go."""
    assert checkov_summary["skipped"] == len(skip_comments())


def test_no_resource_creates_a_secret() -> None:
    used = {t for kind in ("resource", "data") for t, _, _ in labelled(kind)}
    assert used, "no resources parsed"
    assert not used & SECRET_RESOURCES


def test_no_attribute_carries_a_secret() -> None:
    for file, document in parsed().items():
        keys = {key for key, _ in walk(document)}
        assert not keys & SECRET_ATTRIBUTES, f"{file}: {sorted(keys & SECRET_ATTRIBUTES)}"


def test_every_environment_has_its_own_identity() -> None:
    for type_ in ("azuread_application", "azuread_service_principal"):
        assert resources(type_)["env"]["for_each"] == "${var.environments}"
    conditions = " ".join(
        v["condition"] for v in named_blocks("variable")["environments"]["validation"]
    )
    for env in ENVIRONMENTS:
        assert f'contains(keys(var.environments), "{env}")' in conditions


def test_azure_devops_federated_credentials_trust_each_service_connection() -> None:
    credential = resources("azuread_application_federated_identity_credential")["azure_devops"]
    assert credential["for_each"] == "${local.ado ? var.environments : {}}"
    assert credential["application_id"] == "${azuread_application.env[each.key].id}"
    assert credential["audiences"] == ["api://AzureADTokenExchange"]
    endpoint = "azuredevops_serviceendpoint_azurerm.env[each.key]"
    assert credential["issuer"] == f"${{{endpoint}.workload_identity_federation_issuer}}"
    assert credential["subject"] == f"${{{endpoint}.workload_identity_federation_subject}}"


def test_github_federated_credentials_trust_only_a_github_environment() -> None:
    credential = resources("azuread_application_federated_identity_credential")["github"]
    assert credential["issuer"] == "https://token.actions.githubusercontent.com"
    assert credential["subject"] == (
        "repo:${var.github_owner}/${each.value.repo}:environment:${each.value.env}"
    )
    assert credential["application_id"] == "${azuread_application.env[each.value.env].id}"
    assert credential["for_each"] == "${local.github ? local.repo_envs : {}}"
    assert "setproduct(var.model_repositories, keys(var.environments))" in locals_()["repo_envs"]


def test_service_connections_use_workload_identity_federation() -> None:
    connections = resources("azuredevops_serviceendpoint_azurerm")
    assert connections
    for connection in connections.values():
        assert connection["service_endpoint_authentication_scheme"] == "WorkloadIdentityFederation"
        assert set(first(connection["credentials"])) == {"serviceprincipalid"}
    branch_checks = resources("azuredevops_check_branch_control")
    assert any(
        check["target_resource_type"] == "endpoint"
        and check["allowed_branches"] == "refs/heads/${each.value.git_branch}"
        and check["verify_branch_protection"] is True
        for check in branch_checks.values()
    ), "each service connection must be limited to its environment's branch"
    [check] = branch_checks.values()
    assert "!contains(local.pull_request_envs, name)" in check["for_each"]


def test_only_environments_that_take_pull_requests_are_open_to_pull_request_ci() -> None:
    """Staging (by default) is usable by the ci pipeline; prod may never be."""
    assert 'coalesce(env.pull_requests, name == "staging")' in locals_()["pull_request_envs"]
    [variable] = [
        v["environments"] for v in parsed()["variables.tf"]["variable"] if "environments" in v
    ]
    assert any(
        'var.environments["prod"].pull_requests' in rule["condition"]
        and "!= true" in rule["condition"]
        for rule in variable["validation"]
    ), "a validation must refuse pull_requests on prod"
    ci = resources("azuredevops_pipeline_authorization")["ci"]
    assert "tolist(local.pull_request_envs)" in ci["for_each"]
    assert ci["pipeline_id"] == '${azuredevops_build_definition.model["${each.value.repo}/ci"].id}'
    assert "azuredevops_serviceendpoint_azurerm.env" in ci["resource_id"]
    assert "azuredevops_environment" not in ci["resource_id"], "ci never deploys"
    policy = resources("github_repository_environment_deployment_policy")["env"]
    assert "!contains(local.pull_request_envs, pair.env)" in policy["for_each"]


def test_state_storage_is_versioned_private_and_entra_only() -> None:
    account = resources("azurerm_storage_account")["state"]
    blobs = first(account["blob_properties"])
    assert blobs["versioning_enabled"] is True
    assert "delete_retention_policy" in blobs
    assert "container_delete_retention_policy" in blobs
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["min_tls_version"] == "TLS1_2"
    assert account["https_traffic_only_enabled"] is True
    containers = resources("azurerm_storage_container")
    assert containers
    assert all(c["container_access_type"] == "private" for c in containers.values())
    azurerm = next(p["azurerm"] for p in parsed()["providers.tf"]["provider"] if "azurerm" in p)
    assert azurerm["storage_use_azuread"] is True


def test_each_environment_writes_only_its_own_state_container() -> None:
    assignment = resources("azurerm_role_assignment")["env_state"]
    assert assignment["role_definition_name"] == "Storage Blob Data Contributor"
    assert assignment["scope"] == "${azurerm_storage_container.env[each.key].id}"
    assert assignment["principal_id"] == "${azuread_service_principal.env[each.key].object_id}"
    assert resources("azurerm_storage_container")["env"]["for_each"] == "${var.environments}"


def test_prod_deployments_need_an_approval() -> None:
    approvals = resources("azuredevops_check_approval").values()
    assert any(
        approval["target_resource_type"] == "environment"
        and approval["target_resource_id"] == '${azuredevops_environment.env["prod"].id}'
        and approval["requester_can_approve"] is False
        for approval in approvals
    ), "Azure DevOps: the prod environment needs an approval check"
    environment = resources("github_repository_environment")["env"]
    reviewers = [d["reviewers"] for d in environment["dynamic"] if "reviewers" in d]
    assert reviewers and '== "prod"' in reviewers[0]["for_each"], "GitHub: prod needs reviewers"
    assert environment["prevent_self_review"] is True


def test_only_the_chosen_ci_platform_has_resources() -> None:
    for kind in ("resource", "data"):
        for type_, name, body in labelled(kind):
            gate = str(body.get("count", "")) + str(body.get("for_each", ""))
            if type_.startswith("azuredevops_"):
                assert "local.ado" in gate, f"{type_}.{name} is not limited to azure_devops"
            if type_.startswith("github_"):
                assert "local.github" in gate, f"{type_}.{name} is not limited to github_actions"
    assert locals_()["ado"] == '${var.ci_platform == "azure_devops"}'
    assert locals_()["github"] == '${var.ci_platform == "github_actions"}'


def test_cd_stages_receive_every_setting_they_read() -> None:
    expression = locals_()["pipeline_variables"]
    for name in PIPELINE_VARIABLES:
        assert re.search(rf"\b{name} = ", expression), f"{name} is not handed to the CD stages"
    group = resources("azuredevops_variable_group")["env"]
    variables = [d["variable"] for d in group["dynamic"] if "variable" in d]
    assert variables and variables[0]["for_each"] == "${local.pipeline_variables[each.key]}"
    assert "local.pipeline_variables[pair.env]" in locals_()["github_variables"]


def test_every_variable_has_a_description_and_a_type() -> None:
    variables = named_blocks("variable")
    assert variables
    for name, body in variables.items():
        assert str(body.get("description", "")).strip(), f"variable {name} has no description"
        assert body.get("type"), f"variable {name} has no type"


def test_every_output_has_a_description() -> None:
    outputs = named_blocks("output")
    assert outputs
    for name, body in outputs.items():
        assert str(body.get("description", "")).strip(), f"output {name} has no description"


def test_providers_are_pinned_and_databricks_signs_in_through_entra() -> None:
    settings = first(parsed()["versions.tf"]["terraform"])
    assert settings["required_version"] == ">= 1.6"
    pinned = {
        name: (spec["source"], spec["version"])
        for name, spec in first(settings["required_providers"]).items()
    }
    assert pinned == {
        "azurerm": ("hashicorp/azurerm", "~> 4.0"),
        "azuread": ("hashicorp/azuread", "~> 3.0"),
        "azuredevops": ("microsoft/azuredevops", "~> 1.0"),
        "databricks": ("databricks/databricks", "~> 1.99"),
        "github": ("integrations/github", "~> 6.0"),
    }
    databricks = [
        p["databricks"] for p in parsed()["providers.tf"]["provider"] if "databricks" in p
    ]
    assert sorted(p["alias"] for p in databricks) == sorted(ENVIRONMENTS)
    assert all(p["auth_type"] == "azure-cli" for p in databricks)


def test_readme_tells_projects_what_they_consume() -> None:
    readme = (BOOTSTRAP / "README.md").read_text()
    for name in (*PIPELINE_VARIABLES, "ARM_SUBSCRIPTION_ID", "use_azuread_auth", "-migrate-state"):
        assert name in readme, f"README does not mention {name}"
    assert "lease" in readme, "README must say how the azurerm backend locks state"
