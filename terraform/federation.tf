# cloud = aws or gcp: Databricks workload identity federation. Each policy lets exactly one CI
# identity exchange its OIDC token for an OAuth token of one environment's service principal
# (databricks_service_principal.account), at the workspace's /oidc/v1/token endpoint. The CI sets
# DATABRICKS_AUTH_TYPE (github-oidc or azure-devops-oidc), DATABRICKS_HOST and
# DATABRICKS_CLIENT_ID from its variables (local.account_pipeline_variables); no secret exists.
# Policy ids: lowercase letters, digits and '-', unique per service principal.

# GitHub Actions: only jobs that run in one GitHub environment of one listed repository; that
# environment admits only its branch (and, for prod, a reviewer's approval: github.tf).
resource "databricks_service_principal_federation_policy" "github" {
  provider = databricks.account
  for_each = local.account && local.github ? local.github_repo_environments : {}

  service_principal_id = tonumber(databricks_service_principal.account[each.value.env].id)
  policy_id            = "github-${replace(lower(each.value.repo), "/[^a-z0-9-]/", "-")}-${each.value.environment}"
  description          = "GitHub Actions environment ${each.value.environment} of ${var.github_owner}/${each.value.repo}"

  # The audience the job asks GitHub for: the account id (DATABRICKS_TOKEN_AUDIENCE, as the CI
  # variables set it) or, when that is unset, the workspace's token endpoint, which the
  # Databricks SDKs then request.
  oidc_policy = {
    issuer        = "https://token.actions.githubusercontent.com"
    audiences     = [var.databricks_account_id, "${trimsuffix(var.environments[each.value.env].workspace_host, "/")}/oidc/v1/token"]
    subject_claim = "sub"
    subject       = "repo:${var.github_owner}/${each.value.repo}:environment:${each.value.environment}"
  }

  lifecycle {
    precondition {
      condition     = var.github_owner != null
      error_message = "Set github_owner."
    }
  }
}

# Azure DevOps: only runs of one named pipeline of the project (<repo>-cd-<env> for <env>, and
# <repo>-ci for the environments that take pull requests). Azure DevOps puts no branch in this
# token: see the README on what protects prod here.
resource "databricks_service_principal_federation_policy" "azure_devops" {
  provider = databricks.account
  for_each = local.account && local.ado ? local.ado_pipeline_identities : {}

  service_principal_id = tonumber(databricks_service_principal.account[each.value.env].id)
  policy_id            = "azure-devops-${replace(lower(each.value.repo), "/[^a-z0-9-]/", "-")}-${each.value.pipeline}"
  description          = "Azure DevOps pipeline ${azuredevops_build_definition.model["${each.value.repo}/${each.value.pipeline}"].name}"

  oidc_policy = {
    issuer        = "https://vstoken.dev.azure.com/${var.azure_devops_organization_id}"
    audiences     = ["api://AzureADTokenExchange"]
    subject_claim = "sub"
    subject       = "p://${local.azure_devops_organization}/${data.azuredevops_project.this[0].name}/${azuredevops_build_definition.model["${each.value.repo}/${each.value.pipeline}"].name}"
  }

  lifecycle {
    precondition {
      condition     = var.azure_devops_organization_id != null && local.azure_devops_organization != null
      error_message = "Set azure_devops_organization_id, and azure_devops_org_url as https://dev.azure.com/<organisation>: they make the issuer and subject of the pipelines' tokens."
    }
  }
}
