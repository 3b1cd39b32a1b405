# Platform bootstrap, applied once by an admin: per environment an Entra service principal that
# deploys (CI/CD via workload identity federation) and runs (Databricks run_as) the model jobs,
# the Terraform state storage, and the CI/CD wiring of every model project repository.

data "azuread_client_config" "current" {}

data "azurerm_subscription" "current" {}

locals {
  ado    = var.ci_platform == "azure_devops"
  github = var.ci_platform == "github_actions"

  variable_group_names     = { for env in keys(var.environments) : env => "${var.azure_devops_name_prefix}-${env}" }
  service_connection_names = { for env in keys(var.environments) : env => "${var.azure_devops_name_prefix}-${env}-wif" }

  # What each environment's CD stage reads: the ADO variable group or the GitHub environment
  # variables. Only non-secret values: there are no secrets to hand out.
  pipeline_variables = {
    for env, cfg in var.environments : env => merge(
      {
        DATABRICKS_HOST          = cfg.workspace_host
        ARM_TENANT_ID            = data.azuread_client_config.current.tenant_id
        ARM_CLIENT_ID            = azuread_application.env[env].client_id
        ARM_SUBSCRIPTION_ID      = var.subscription_id
        TF_STATE_RESOURCE_GROUP  = azurerm_resource_group.state.name
        TF_STATE_STORAGE_ACCOUNT = azurerm_storage_account.state.name
        TF_STATE_CONTAINER       = azurerm_storage_container.env[env].name
      },
      local.ado ? { SERVICE_CONNECTION = local.service_connection_names[env] } : {},
    )
  }

  # Environments whose credentials pull-request CI may use (staging by default; never prod).
  pull_request_envs = toset([
    for name, env in var.environments : name if coalesce(env.pull_requests, name == "staging")
  ])

  protected_branches = distinct([for cfg in values(var.environments) : cfg.git_branch])

  repo_envs = {
    for pair in setproduct(var.model_repositories, keys(var.environments)) :
    "${pair[0]}/${pair[1]}" => { repo = pair[0], env = pair[1] }
  }

  repo_branches = {
    for pair in setproduct(var.model_repositories, local.protected_branches) :
    "${pair[0]}/${pair[1]}" => { repo = pair[0], branch = pair[1] }
  }
}
