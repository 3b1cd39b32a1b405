# cloud = azure: one Entra application and service principal per environment. It has no
# password or certificate: it can only be used through the federated credentials below.
# (aws and gcp: databricks.tf creates Databricks account service principals instead.)

resource "azuread_application" "env" {
  for_each = local.azure ? var.environments : {}

  display_name     = "${var.name_prefix}-databricks-${each.key}"
  owners           = [data.azuread_client_config.current[0].object_id]
  sign_in_audience = "AzureADMyOrg"
}

resource "azuread_service_principal" "env" {
  for_each = local.azure ? var.environments : {}

  client_id = azuread_application.env[each.key].client_id
  owners    = [data.azuread_client_config.current[0].object_id]
}

# Azure DevOps: the environment's service connection issues the tokens this credential trusts.
resource "azuread_application_federated_identity_credential" "azure_devops" {
  #checkov:skip=CKV_AZURE_249:The check parses GitHub Actions subjects (repo:owner/name:...); this issuer and subject are the exact pair Azure DevOps issues for this one service connection, with no wildcard.
  for_each = local.azure && local.ado ? var.environments : {}

  application_id = azuread_application.env[each.key].id
  display_name   = "azure-devops-${each.key}"
  description    = "Azure DevOps service connection ${local.service_connection_names[each.key]}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = azuredevops_serviceendpoint_azurerm.env[each.key].workload_identity_federation_issuer
  subject        = azuredevops_serviceendpoint_azurerm.env[each.key].workload_identity_federation_subject
}

# GitHub Actions: only jobs that run in one of the repository's GitHub environments of this
# deployment environment: <env> itself, and prod-plan for prod (the plan before the approval).
resource "azuread_application_federated_identity_credential" "github" {
  for_each = local.azure && local.github ? local.github_repo_environments : {}

  application_id = azuread_application.env[each.value.env].id
  display_name   = "github-${replace(each.value.repo, "/[^0-9A-Za-z_-]/", "-")}-${each.value.environment}"
  description    = "GitHub Actions environment ${each.value.environment} of ${var.github_owner}/${each.value.repo}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "https://token.actions.githubusercontent.com"
  subject        = "repo:${var.github_owner}/${each.value.repo}:environment:${each.value.environment}"

  lifecycle {
    precondition {
      condition     = var.github_owner != null && length(var.model_repositories) * length([for ge, env in local.github_environments : ge if env == each.value.env]) <= 20
      error_message = "Set github_owner. Entra allows 20 federated credentials per application: prod takes two per repository (prod, prod-plan), so at most 10 repositories."
    }
  }
}

# Azure Databricks fetching Azure DevOps repositories as this service principal (Git folders,
# git_source jobs): the workspace's OIDC issuer vouches for the application by its client id.
resource "azuread_application_federated_identity_credential" "databricks_git" {
  #checkov:skip=CKV_AZURE_249:The check parses GitHub Actions subjects (repo:owner/name:...); this credential trusts one workspace's OIDC issuer for one subject, this application's client id, with no wildcard.
  for_each = local.azure && local.ado ? var.environments : {}

  application_id = azuread_application.env[each.key].id
  display_name   = "databricks-git-${each.key}"
  description    = "Azure Databricks Git access from ${each.value.workspace_host}"
  audiences      = ["api://AzureADTokenExchange"]
  issuer         = "${trimsuffix(each.value.workspace_host, "/")}/oidc"
  subject        = azuread_application.env[each.key].client_id
}
