# Every provider signs in as the admin running `terraform apply` (Azure CLI login, `gh` token
# for GitHub); no credential is written here.

provider "azurerm" {
  features {}

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

# Terraform cannot iterate over providers: one alias per environment. The hosts may be equal
# (one shared workspace) or differ (one workspace per environment).
provider "databricks" {
  alias     = "staging"
  host      = var.environments["staging"].workspace_host
  auth_type = "azure-cli"
}

provider "databricks" {
  alias     = "prod"
  host      = var.environments["prod"].workspace_host
  auth_type = "azure-cli"
}
