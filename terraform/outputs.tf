output "tenant_id" {
  description = "Microsoft Entra tenant of the service principals (ARM_TENANT_ID)."
  value       = data.azuread_client_config.current.tenant_id
}

output "subscription_id" {
  description = "Subscription holding the state storage (ARM_SUBSCRIPTION_ID)."
  value       = var.subscription_id
}

output "environments" {
  description = "Per environment: workspace host, the service principal's client (application) id and object ids, and the names of its CI objects (null when not on that CI platform)."
  value = {
    for env, cfg in var.environments : env => {
      workspace_host                  = cfg.workspace_host
      git_branch                      = cfg.git_branch
      client_id                       = azuread_application.env[env].client_id
      service_principal_object_id     = azuread_service_principal.env[env].object_id
      databricks_service_principal    = lookup(local.databricks_service_principal_ids, env, null)
      azure_devops_variable_group     = local.ado ? local.variable_group_names[env] : null
      azure_devops_service_connection = local.ado ? local.service_connection_names[env] : null
      azure_devops_environment        = local.ado ? env : null
      github_environment              = local.github ? env : null
      state_container                 = azurerm_storage_container.env[env].name
    }
  }
}

output "state_backend" {
  description = "Per environment, the azurerm backend settings a model project passes as terraform init -backend-config=<key>=<value> (its own key <project>/<environment>.tfstate is fixed in its backend block)."
  value = {
    for env in keys(var.environments) : env => {
      resource_group_name  = azurerm_resource_group.state.name
      storage_account_name = azurerm_storage_account.state.name
      container_name       = azurerm_storage_container.env[env].name
      use_azuread_auth     = true
    }
  }
}

output "bootstrap_state_backend" {
  description = "Backend settings for migrating this bootstrap's own state into the storage it created (see README)."
  value = {
    resource_group_name  = azurerm_resource_group.state.name
    storage_account_name = azurerm_storage_account.state.name
    container_name       = azurerm_storage_container.bootstrap.name
    key                  = "bootstrap/platform.tfstate"
    use_azuread_auth     = true
  }
}

output "pipeline_variables" {
  description = "Per environment, the variables the CD stage reads: the Azure DevOps variable group's contents, or the GitHub environment variables."
  value       = local.pipeline_variables
}
