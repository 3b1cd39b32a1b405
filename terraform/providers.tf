# Every provider signs in as the admin running `terraform apply` (Azure CLI login on azure, the
# Databricks CLI's OAuth login on aws and gcp, `gh` token for GitHub); no credential is written
# here. On aws and gcp, azurerm and azuread are declared but never configured: the apply is
# targeted (targets/*.txt) at resources that do not depend on them (README).

provider "azurerm" {
  features {}

  # null on aws and gcp, where this provider is not configured.
  subscription_id = var.subscription_id
  # Shared keys are disabled on the state account, so data-plane calls must use Entra ID.
  storage_use_azuread = true
}

provider "azuread" {}

provider "azuredevops" {
  org_service_url = var.azure_devops_org_url
}

provider "github" {
  owner = var.github_owner
}

# The Databricks account (service principals, workspace assignments and federation policies on
# aws and gcp). On azure nothing uses it, and the Databricks provider signs in lazily, at the
# first call: declaring it needs no credential there.
provider "databricks" {
  alias      = "account"
  host       = local.databricks_account_host
  account_id = var.databricks_account_id
  auth_type  = "databricks-cli"
}

# Terraform cannot iterate over providers: one alias per environment. The hosts may be equal
# (one shared workspace) or differ (one workspace per environment).
provider "databricks" {
  alias     = "staging"
  host      = var.environments["staging"].workspace_host
  auth_type = local.databricks_admin_auth_type
}

provider "databricks" {
  alias     = "prod"
  host      = var.environments["prod"].workspace_host
  auth_type = local.databricks_admin_auth_type
}
