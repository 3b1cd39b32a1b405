output "cloud" {
  description = "Cloud of the workspaces: azure (Entra identities, Azure Storage state) or aws / gcp (Databricks account identities, bucket state made beforehand)."
  value       = var.cloud
}

output "tenant_id" {
  description = "Microsoft Entra tenant of the service principals (ARM_TENANT_ID); null on aws and gcp."
  value       = one(data.azuread_client_config.current[*].tenant_id)
}

output "subscription_id" {
  description = "Subscription holding the state storage (ARM_SUBSCRIPTION_ID); null on aws and gcp."
  value       = var.subscription_id
}

output "environments" {
  description = "Per environment: workspace host, the service principal's application (client) id and ids, the names of its CI objects (null when not on that CI platform) and where its state lives."
  value = {
    for env, cfg in var.environments : env => {
      workspace_host                  = cfg.workspace_host
      git_branch                      = cfg.git_branch
      client_id                       = lookup(local.client_ids, env, null)
      service_principal_object_id     = try(azuread_service_principal.env[env].object_id, null)
      account_service_principal_id    = try(databricks_service_principal.account[env].id, null)
      databricks_service_principal    = lookup(local.databricks_service_principal_ids, env, null)
      azure_devops_variable_group     = local.ado ? local.variable_group_names[env] : null
      azure_devops_service_connection = local.ado && local.azure ? local.service_connection_names[env] : null
      azure_devops_environment        = local.ado ? env : null
      github_environments             = local.github ? [for ge, e in local.github_environments : ge if e == env] : null
      state_container                 = try(azurerm_storage_container.env[env].name, null)
      state_bucket                    = cfg.state_bucket
    }
  }
}

output "state_backend" {
  description = "Per environment, the backend settings a model project passes as terraform init -backend-config=<key>=<value> (its own key <project>/<environment>.tfstate is fixed in its backend block): azurerm on azure, s3 on aws, gcs on gcp."
  value = merge(
    {
      for env, container in azurerm_storage_container.env : env => {
        resource_group_name  = azurerm_resource_group.state[0].name
        storage_account_name = azurerm_storage_account.state[0].name
        container_name       = container.name
        use_azuread_auth     = true
      }
    },
    var.cloud == "aws" ? {
      for env, cfg in var.environments : env => { bucket = cfg.state_bucket, region = var.state_bucket_region, use_lockfile = true }
    } : {},
    var.cloud == "gcp" ? {
      for env, cfg in var.environments : env => { bucket = cfg.state_bucket }
    } : {},
  )
}

output "bootstrap_state_backend" {
  description = "cloud = azure: backend settings for migrating this bootstrap's own state into the storage it created (see README). null on aws and gcp, where the admin's own bucket is used (backend-s3.tf.example, backend-gcs.tf.example)."
  value = local.azure ? {
    resource_group_name  = one(azurerm_resource_group.state[*].name)
    storage_account_name = one(azurerm_storage_account.state[*].name)
    container_name       = one(azurerm_storage_container.bootstrap[*].name)
    key                  = "bootstrap/platform.tfstate"
    use_azuread_auth     = true
  } : null
}

output "pipeline_variables" {
  description = "Per environment, the variables the CD stage reads: the Azure DevOps variable group's contents, or the GitHub environment variables (prod-plan gets prod's)."
  value       = local.pipeline_variables
}

output "ci_subjects" {
  description = "Per environment, the OIDC subjects (sub claim) of the CI identities that sign in as it. On aws and gcp the state bucket's cloud role must trust exactly these (README); on azure with Azure DevOps the service connections' own subjects apply (azuredevops_serviceendpoint_azurerm)."
  value       = local.ci_subjects
}
