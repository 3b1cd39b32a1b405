# Platform bootstrap, applied once by an admin: per environment a service principal that deploys
# (CI/CD signs in as it through workload identity federation, with no secret) and runs (Databricks
# run_as) the model jobs, the Terraform state storage, and the CI/CD wiring of every model
# project repository.
#
# Which identity, by cloud:
#   azure      an Entra application per environment, trusted through Entra federated credentials
#              (azure-cli sign-in: one Entra token reaches both the azurerm state backend and the
#              workspace); the state storage is created here (state.tf).
#   aws, gcp   a Databricks account service principal per environment, trusted through Databricks
#              service-principal federation policies (github-oidc / azure-devops-oidc sign-in); the
#              state bucket and the cloud role the CI uses for it are prerequisites (inputs).
# Resources of the other path have count/for_each 0. Terraform still configures every declared
# provider, so on aws and gcp the apply is targeted (targets/*.txt) and no resource of the
# account path refers to an Azure resource: azurerm and azuread are then never configured.

data "azuread_client_config" "current" {
  count = local.azure ? 1 : 0
}

data "azurerm_subscription" "current" {
  count = local.azure ? 1 : 0
}

locals {
  azure   = var.cloud == "azure"
  account = var.cloud != "azure"
  ado     = var.ci_platform == "azure_devops"
  github  = var.ci_platform == "github_actions"

  databricks_account_host = {
    azure = "https://accounts.azuredatabricks.net"
    aws   = "https://accounts.cloud.databricks.com"
    gcp   = "https://accounts.gcp.databricks.com"
  }[var.cloud]

  # How the admin running `terraform apply` reaches the workspaces: the Azure CLI login on azure,
  # the Databricks CLI's OAuth login (`databricks auth login`) on aws and gcp. No token is stored.
  databricks_admin_auth_type = local.azure ? "azure-cli" : "databricks-cli"

  variable_group_names     = { for env in keys(var.environments) : env => "${var.azure_devops_name_prefix}-${env}" }
  service_connection_names = { for env in keys(var.environments) : env => "${var.azure_devops_name_prefix}-${env}-wif" }

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

  # GitHub environments, each signing in as one deployment environment's service principal:
  # one per deployment environment, plus prod-plan, where the prod deploy workflow plans before
  # the approval (no reviewers; deployable from the release branch only, like prod).
  plan_environments   = { "prod-plan" = "prod" }
  github_environments = merge({ for env in keys(var.environments) : env => env }, local.plan_environments)

  github_repo_environments = {
    for pair in setproduct(var.model_repositories, keys(local.github_environments)) :
    "${pair[0]}/${pair[1]}" => { repo = pair[0], environment = pair[1], env = local.github_environments[pair[1]] }
  }

  # Azure DevOps pipelines, each signing in as one deployment environment's service principal:
  # <repo>-cd-<env> as <env>, and <repo>-ci as every environment that takes pull requests.
  ado_pipeline_identities = merge(
    {
      for pair in setproduct(var.model_repositories, keys(var.environments)) :
      "${pair[0]}/cd-${pair[1]}" => { repo = pair[0], pipeline = "cd-${pair[1]}", env = pair[1] }
    },
    {
      for pair in setproduct(var.model_repositories, tolist(local.pull_request_envs)) :
      "${pair[0]}/ci/${pair[1]}" => { repo = pair[0], pipeline = "ci", env = pair[1] }
    },
  )

  # The organisation's name as it appears in the subject of its pipelines' OIDC tokens.
  azure_devops_organization = try(
    regex("^https://dev\\.azure\\.com/([^/]+)", var.azure_devops_org_url)[0],
    regex("^https://([^./]+)\\.visualstudio\\.com", var.azure_devops_org_url)[0],
    null,
  )

  # What each environment's CD stage reads: the ADO variable group or the GitHub environment
  # variables. Only non-secret values: there are no secrets to hand out. Two maps, one per
  # identity path, so that nothing on the aws/gcp path refers to an Azure resource.
  azure_pipeline_variables = {
    for env, app in azuread_application.env : env => merge(
      {
        DATABRICKS_HOST          = var.environments[env].workspace_host
        DATABRICKS_AUTH_TYPE     = "azure-cli"
        DATABRICKS_CLIENT_ID     = app.client_id
        ARM_TENANT_ID            = data.azuread_client_config.current[0].tenant_id
        ARM_CLIENT_ID            = app.client_id
        ARM_SUBSCRIPTION_ID      = var.subscription_id
        TF_STATE_RESOURCE_GROUP  = azurerm_resource_group.state[0].name
        TF_STATE_STORAGE_ACCOUNT = azurerm_storage_account.state[0].name
        TF_STATE_CONTAINER       = azurerm_storage_container.env[env].name
      },
      local.ado ? { SERVICE_CONNECTION = local.service_connection_names[env] } : {},
    )
  }

  account_pipeline_variables = {
    for env, sp in databricks_service_principal.account : env => merge(
      {
        DATABRICKS_HOST      = var.environments[env].workspace_host
        DATABRICKS_AUTH_TYPE = local.ado ? "azure-devops-oidc" : "github-oidc"
        DATABRICKS_CLIENT_ID = sp.application_id
        TF_STATE_BUCKET      = var.environments[env].state_bucket
      },
      # GitHub tokens carry the audience the job asks for; the federation policies expect the
      # account id. Azure DevOps tokens always carry api://AzureADTokenExchange.
      local.github ? { DATABRICKS_TOKEN_AUDIENCE = var.databricks_account_id } : {},
      var.cloud == "aws" ? {
        TF_STATE_REGION = var.state_bucket_region
        AWS_ROLE_ARN    = var.environments[env].aws_role_arn
      } : {},
      var.cloud == "gcp" ? {
        GCP_WORKLOAD_IDENTITY_PROVIDER = var.gcp_workload_identity_provider
        GCP_SERVICE_ACCOUNT            = var.environments[env].gcp_service_account
      } : {},
    )
  }

  pipeline_variables = merge(local.azure_pipeline_variables, local.account_pipeline_variables)

  # The OIDC subjects the CI presents, per environment: what the Entra federated credentials,
  # the Databricks federation policies and, on aws and gcp, the state bucket's cloud role trust.
  ci_subjects = {
    for env in keys(var.environments) : env => concat(
      local.github ? [
        for key, ge in local.github_repo_environments :
        "repo:${var.github_owner}/${ge.repo}:environment:${ge.environment}" if ge.env == env
      ] : [],
      local.ado && local.account ? [
        for key, p in local.ado_pipeline_identities :
        "p://${coalesce(local.azure_devops_organization, "<organisation>")}/${coalesce(var.azure_devops_project, "<project>")}/${p.repo}-${p.pipeline}" if p.env == env
      ] : [],
    )
  }
}
