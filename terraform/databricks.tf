# The environment's service principal in its workspace: it deploys the jobs (its CD stage signs
# in as it) and they run as it (run_as). With one shared workspace both land there. It gets
# workspace access and unrestricted cluster creation (Azure Databricks requires the latter for a
# service principal whose jobs use artifacts from Git, git_source); SQL access is not needed.
# Terraform cannot iterate over providers: one block per environment and workspace alias.

# cloud = azure: the Entra application registered in the workspace (workspace-level SCIM).
resource "databricks_service_principal" "staging" {
  provider = databricks.staging
  count    = local.azure ? 1 : 0

  application_id        = azuread_application.env["staging"].client_id
  display_name          = azuread_application.env["staging"].display_name
  workspace_access      = true
  allow_cluster_create  = true
  databricks_sql_access = false
}

resource "databricks_service_principal" "prod" {
  provider = databricks.prod
  count    = local.azure ? 1 : 0

  application_id        = azuread_application.env["prod"].client_id
  display_name          = azuread_application.env["prod"].display_name
  workspace_access      = true
  allow_cluster_create  = true
  databricks_sql_access = false
}

# cloud = aws or gcp: a Databricks-managed service principal in the account, with no secret (its
# only credential is the federation policies of federation.tf), assigned to its workspace as a
# user, then given the same entitlements in the workspace.
resource "databricks_service_principal" "account" {
  provider = databricks.account
  for_each = local.account ? var.environments : {}

  display_name = "${var.name_prefix}-databricks-${each.key}"

  lifecycle {
    precondition {
      condition     = var.databricks_account_id != null
      error_message = "Set databricks_account_id: on aws and gcp the service principals are created in the Databricks account."
    }
    precondition {
      condition = (
        each.value.workspace_id != null && each.value.state_bucket != null
        && (var.cloud != "aws" || (each.value.aws_role_arn != null && var.state_bucket_region != null))
        && (var.cloud != "gcp" || (each.value.gcp_service_account != null && var.gcp_workload_identity_provider != null))
      )
      error_message = "On aws and gcp every environment needs workspace_id and state_bucket; aws also aws_role_arn and state_bucket_region, gcp also gcp_service_account and gcp_workload_identity_provider (prerequisites, see README)."
    }
  }
}

resource "databricks_mws_permission_assignment" "env" {
  provider = databricks.account
  for_each = local.account ? var.environments : {}

  workspace_id = each.value.workspace_id
  principal_id = tonumber(databricks_service_principal.account[each.key].id)
  permissions  = ["USER"]
}

# The assigned principal as the workspace sees it (read after the assignment, at apply time).
data "databricks_service_principal" "staging" {
  provider = databricks.staging
  count    = local.account ? 1 : 0

  application_id = databricks_service_principal.account["staging"].application_id

  depends_on = [databricks_mws_permission_assignment.env]
}

data "databricks_service_principal" "prod" {
  provider = databricks.prod
  count    = local.account ? 1 : 0

  application_id = databricks_service_principal.account["prod"].application_id

  depends_on = [databricks_mws_permission_assignment.env]
}

resource "databricks_entitlements" "staging" {
  provider = databricks.staging
  count    = local.account ? 1 : 0

  service_principal_id  = data.databricks_service_principal.staging[0].id
  workspace_access      = true
  allow_cluster_create  = true
  databricks_sql_access = false
}

resource "databricks_entitlements" "prod" {
  provider = databricks.prod
  count    = local.account ? 1 : 0

  service_principal_id  = data.databricks_service_principal.prod[0].id
  workspace_access      = true
  allow_cluster_create  = true
  databricks_sql_access = false
}

locals {
  # The workspace-level id of each environment's service principal.
  databricks_service_principal_ids = {
    staging = local.azure ? one(databricks_service_principal.staging[*].id) : one(data.databricks_service_principal.staging[*].id)
    prod    = local.azure ? one(databricks_service_principal.prod[*].id) : one(data.databricks_service_principal.prod[*].id)
  }

  # The application id the CI signs in with and the jobs run as (run_as service_principal_name).
  client_ids = merge(
    { for env, app in azuread_application.env : env => app.client_id },
    { for env, sp in databricks_service_principal.account : env => sp.application_id },
  )
}
