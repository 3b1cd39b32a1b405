# The environment's service principal registered in its workspace: it deploys the jobs (its CD
# stage signs in as it) and they run as it (run_as). With one shared workspace both land there.
# Azure Databricks requires unrestricted cluster creation for a service principal whose jobs
# use artifacts from Git (git_source); SQL access is not needed by the jobs.

resource "databricks_service_principal" "staging" {
  provider = databricks.staging

  application_id        = azuread_application.env["staging"].client_id
  display_name          = azuread_application.env["staging"].display_name
  workspace_access      = true
  allow_cluster_create  = true
  databricks_sql_access = false
}

resource "databricks_service_principal" "prod" {
  provider = databricks.prod

  application_id        = azuread_application.env["prod"].client_id
  display_name          = azuread_application.env["prod"].display_name
  workspace_access      = true
  allow_cluster_create  = true
  databricks_sql_access = false
}

locals {
  databricks_service_principal_ids = {
    staging = databricks_service_principal.staging.id
    prod    = databricks_service_principal.prod.id
  }
}
