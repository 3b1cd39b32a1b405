# Azure DevOps (ci_platform = azure_devops). Per environment: a variable group, a pipeline
# environment (prod behind an approval) and, on cloud = azure, a workload-identity service
# connection. Only the cd-<environment> pipelines may use them, and the service connection only
# from the environment's branch; an environment that takes pull requests (staging) is also open
# to the ci pipeline, on any branch. Per model repository: its three pipelines and the branch
# policies of the deployed branches. On aws and gcp the pipelines sign in to Databricks with their
# own OIDC token (federation.tf) and nothing here refers to an Azure resource.

data "azuredevops_project" "this" {
  count = local.ado ? 1 : 0

  name = var.azure_devops_project

  lifecycle {
    precondition {
      condition     = var.azure_devops_org_url != null && var.azure_devops_project != null
      error_message = "Set azure_devops_org_url and azure_devops_project."
    }
  }
}

data "azuredevops_git_repository" "model" {
  for_each = local.ado ? toset(var.model_repositories) : toset([])

  project_id = data.azuredevops_project.this[0].id
  name       = each.value
}

resource "azuredevops_serviceendpoint_azurerm" "env" {
  for_each = local.azure && local.ado ? var.environments : {}

  project_id                             = data.azuredevops_project.this[0].id
  service_endpoint_name                  = local.service_connection_names[each.key]
  description                            = "Signs in as ${azuread_application.env[each.key].display_name} through workload identity federation (no secret)."
  service_endpoint_authentication_scheme = "WorkloadIdentityFederation"
  azurerm_spn_tenantid                   = data.azuread_client_config.current[0].tenant_id
  azurerm_subscription_id                = var.subscription_id
  azurerm_subscription_name              = data.azurerm_subscription.current[0].display_name

  credentials {
    serviceprincipalid = azuread_application.env[each.key].client_id
  }

  depends_on = [azuread_service_principal.env]
}

resource "azuredevops_check_branch_control" "service_connection" {
  for_each = local.azure && local.ado ? { for name, env in var.environments : name => env if !contains(local.pull_request_envs, name) } : {}

  project_id                       = data.azuredevops_project.this[0].id
  display_name                     = "Only ${each.value.git_branch} deploys to ${each.key}"
  target_resource_type             = "endpoint"
  target_resource_id               = azuredevops_serviceendpoint_azurerm.env[each.key].id
  allowed_branches                 = "refs/heads/${each.value.git_branch}"
  verify_branch_protection         = true
  ignore_unknown_protection_status = false
}

# The same group, by identity path: Entra (azure) or Databricks account (aws, gcp).
resource "azuredevops_variable_group" "env" {
  for_each = local.azure && local.ado ? var.environments : {}

  project_id   = data.azuredevops_project.this[0].id
  name         = local.variable_group_names[each.key]
  description  = "Non-secret settings of the ${each.key} deployment (managed by the platform bootstrap)."
  allow_access = false

  dynamic "variable" {
    for_each = local.azure_pipeline_variables[each.key]

    content {
      name  = variable.key
      value = variable.value
    }
  }
}

resource "azuredevops_variable_group" "account" {
  for_each = local.account && local.ado ? var.environments : {}

  project_id   = data.azuredevops_project.this[0].id
  name         = local.variable_group_names[each.key]
  description  = "Non-secret settings of the ${each.key} deployment (managed by the platform bootstrap)."
  allow_access = false

  dynamic "variable" {
    for_each = local.account_pipeline_variables[each.key]

    content {
      name  = variable.key
      value = variable.value
    }
  }
}

resource "azuredevops_environment" "env" {
  for_each = local.ado ? var.environments : {}

  project_id  = data.azuredevops_project.this[0].id
  name        = each.key
  description = "Databricks ${each.key}: branch ${each.value.git_branch}, workspace ${each.value.workspace_host}."
}

data "azuredevops_group" "prod_approvers" {
  for_each = local.ado ? toset(var.prod_approver_groups) : toset([])

  project_id = data.azuredevops_project.this[0].id
  name       = each.value
}

resource "azuredevops_check_approval" "prod" {
  count = local.ado ? 1 : 0

  project_id                 = data.azuredevops_project.this[0].id
  target_resource_type       = "environment"
  target_resource_id         = azuredevops_environment.env["prod"].id
  approvers                  = [for group in data.azuredevops_group.prod_approvers : group.origin_id]
  minimum_required_approvers = 1
  requester_can_approve      = false
  instructions               = "Approve the release of this model project to the prod Databricks environment."
  timeout                    = 4320

  lifecycle {
    precondition {
      condition     = length(var.prod_approver_groups) > 0
      error_message = "Set prod_approver_groups: prod deployments need an approval."
    }
  }
}

locals {
  pipeline_files = merge(
    { ci = ".azure-pipelines/ci.yml" },
    { for env in keys(var.environments) : "cd-${env}" => ".azure-pipelines/cd-${env}.yml" },
  )

  repo_pipelines = {
    for pair in setproduct(var.model_repositories, keys(local.pipeline_files)) :
    "${pair[0]}/${pair[1]}" => { repo = pair[0], pipeline = pair[1] }
  }

  cd_authorizations = {
    for triple in setproduct(var.model_repositories, keys(var.environments), ["endpoint", "variablegroup", "environment"]) :
    "${triple[0]}/${triple[1]}/${triple[2]}" => { repo = triple[0], env = triple[1], type = triple[2] }
  }

  ci_authorizations = {
    for triple in setproduct(var.model_repositories, tolist(local.pull_request_envs), ["endpoint", "variablegroup"]) :
    "${triple[0]}/${triple[1]}/${triple[2]}" => { repo = triple[0], env = triple[1], type = triple[2] }
  }
}

resource "azuredevops_build_definition" "model" {
  for_each = local.ado ? local.repo_pipelines : {}

  project_id = data.azuredevops_project.this[0].id
  name       = "${each.value.repo}-${each.value.pipeline}"
  path       = "\\${each.value.repo}"

  ci_trigger {
    use_yaml = true
  }

  repository {
    repo_type   = "TfsGit"
    repo_id     = data.azuredevops_git_repository.model[each.value.repo].id
    branch_name = data.azuredevops_git_repository.model[each.value.repo].default_branch
    yml_path    = local.pipeline_files[each.value.pipeline]
  }
}

# Only a project's cd-<environment> pipeline may use that environment's service connection,
# variable group and pipeline environment. cd and ci: cloud = azure; cd_account and ci_account:
# aws and gcp, where there is no service connection.
resource "azuredevops_pipeline_authorization" "cd" {
  for_each = local.azure && local.ado ? local.cd_authorizations : {}

  project_id  = data.azuredevops_project.this[0].id
  type        = each.value.type
  pipeline_id = azuredevops_build_definition.model["${each.value.repo}/cd-${each.value.env}"].id
  resource_id = {
    endpoint      = azuredevops_serviceendpoint_azurerm.env[each.value.env].id
    variablegroup = azuredevops_variable_group.env[each.value.env].id
    environment   = azuredevops_environment.env[each.value.env].id
  }[each.value.type]
}

resource "azuredevops_pipeline_authorization" "cd_account" {
  for_each = local.account && local.ado ? { for key, auth in local.cd_authorizations : key => auth if auth.type != "endpoint" } : {}

  project_id  = data.azuredevops_project.this[0].id
  type        = each.value.type
  pipeline_id = azuredevops_build_definition.model["${each.value.repo}/cd-${each.value.env}"].id
  resource_id = {
    variablegroup = azuredevops_variable_group.account[each.value.env].id
    environment   = azuredevops_environment.env[each.value.env].id
  }[each.value.type]
}

# Pull-request CI plans the environments that take pull requests and runs their training job at
# the pull request's commit: it may use their service connection and variable group.
resource "azuredevops_pipeline_authorization" "ci" {
  for_each = local.azure && local.ado ? local.ci_authorizations : {}

  project_id  = data.azuredevops_project.this[0].id
  type        = each.value.type
  pipeline_id = azuredevops_build_definition.model["${each.value.repo}/ci"].id
  resource_id = {
    endpoint      = azuredevops_serviceendpoint_azurerm.env[each.value.env].id
    variablegroup = azuredevops_variable_group.env[each.value.env].id
  }[each.value.type]
}

resource "azuredevops_pipeline_authorization" "ci_account" {
  for_each = local.account && local.ado ? { for key, auth in local.ci_authorizations : key => auth if auth.type != "endpoint" } : {}

  project_id  = data.azuredevops_project.this[0].id
  type        = each.value.type
  pipeline_id = azuredevops_build_definition.model["${each.value.repo}/ci"].id
  resource_id = azuredevops_variable_group.account[each.value.env].id
}

resource "azuredevops_branch_policy_build_validation" "ci" {
  for_each = local.ado ? toset(var.model_repositories) : toset([])

  project_id = data.azuredevops_project.this[0].id
  enabled    = true
  blocking   = true

  settings {
    display_name        = "ci"
    build_definition_id = azuredevops_build_definition.model["${each.key}/ci"].id
    valid_duration      = 720

    dynamic "scope" {
      for_each = local.protected_branches

      content {
        repository_id  = data.azuredevops_git_repository.model[each.key].id
        repository_ref = "refs/heads/${scope.value}"
        match_type     = "Exact"
      }
    }
  }
}

resource "azuredevops_branch_policy_min_reviewers" "model" {
  for_each = local.ado ? toset(var.model_repositories) : toset([])

  project_id = data.azuredevops_project.this[0].id
  enabled    = true
  blocking   = true

  settings {
    reviewer_count               = var.min_reviewers
    submitter_can_vote           = false
    last_pusher_cannot_approve   = true
    on_push_reset_approved_votes = true

    dynamic "scope" {
      for_each = local.protected_branches

      content {
        repository_id  = data.azuredevops_git_repository.model[each.key].id
        repository_ref = "refs/heads/${scope.value}"
        match_type     = "Exact"
      }
    }
  }
}

# Azure Databricks fetches git_source code with the service principal's Entra token, so the
# service principal must be an organisation user (Basic access) that can read the project's
# repositories (cloud = azure: Databricks on AWS and Google Cloud cannot use Entra for Git).
resource "azuredevops_service_principal_entitlement" "env" {
  for_each = local.azure && local.ado ? var.environments : {}

  origin_id            = azuread_service_principal.env[each.key].object_id
  origin               = "aad"
  account_license_type = "express"
}

data "azuredevops_group" "readers" {
  count = local.azure && local.ado ? 1 : 0

  project_id = data.azuredevops_project.this[0].id
  name       = "Readers"
}

resource "azuredevops_group_membership" "readers" {
  count = local.azure && local.ado ? 1 : 0

  group   = data.azuredevops_group.readers[0].descriptor
  members = [for entitlement in azuredevops_service_principal_entitlement.env : entitlement.descriptor]
  mode    = "add"
}
