# cloud = azure: Terraform state of the model projects (one private container per environment,
# so the staging identity can never read or change prod state) and of this bootstrap itself.
# The azurerm backend locks a state file with a blob lease; nothing else is needed for locking.
# On aws and gcp the state buckets are prerequisites (see README): nothing here is created.
# (Adding count to these once-only resources moves their existing state to index [0].)

resource "azurerm_resource_group" "state" {
  count = local.azure ? 1 : 0

  name     = var.state_resource_group_name
  location = var.location
  tags     = var.tags

  lifecycle {
    precondition {
      condition     = var.subscription_id != null && var.location != null && var.state_storage_account_name != null && length(var.platform_admin_object_ids) > 0
      error_message = "cloud = azure needs subscription_id, location, state_storage_account_name and at least one platform_admin_object_ids."
    }
  }
}

resource "azurerm_storage_account" "state" {
  #checkov:skip=CKV_AZURE_59:Microsoft-hosted Azure DevOps agents and GitHub-hosted runners reach the state over the public endpoint; access needs an Entra token with a data role on one container (shared keys are off).
  #checkov:skip=CKV2_AZURE_33:Microsoft-hosted CI agents run outside any virtual network and could not reach a private endpoint; with self-hosted agents in a VNet, add one if policy requires it.
  #checkov:skip=CKV2_AZURE_1:State of this bootstrap and of the model projects holds resource ids, names and settings, no personal data and no secrets (none are created); it is encrypted at rest with Microsoft-managed keys plus infrastructure encryption. A customer-managed key needs a Key Vault outside this bootstrap.
  #checkov:skip=CKV_AZURE_33:The account stores blobs only; no queue exists whose requests could be logged.
  count = local.azure ? 1 : 0

  name                     = var.state_storage_account_name
  resource_group_name      = azurerm_resource_group.state[0].name
  location                 = azurerm_resource_group.state[0].location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.state_replication_type

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  cross_tenant_replication_enabled  = false
  infrastructure_encryption_enabled = true
  allowed_copy_scope                = "AAD"

  sas_policy {
    expiration_period = "00.01:00:00"
  }

  blob_properties {
    versioning_enabled  = true
    change_feed_enabled = true

    delete_retention_policy {
      days = var.state_retention_days
    }

    container_delete_retention_policy {
      days = var.state_retention_days
    }
  }

  tags = var.tags
}

resource "azurerm_management_lock" "state" {
  count = local.azure ? 1 : 0

  name       = "protect-terraform-state"
  scope      = azurerm_storage_account.state[0].id
  lock_level = "CanNotDelete"
  notes      = "Holds the Terraform state of the platform and of every model project."
}

resource "azurerm_storage_container" "env" {
  #checkov:skip=CKV2_AZURE_21:Blob reads, writes and deletes are logged by azurerm_monitor_diagnostic_setting.state_blobs (when log_analytics_workspace_id is set); the check only knows Log Analytics storage insights, which needs the account key disabled here.
  for_each = local.azure ? var.environments : {}

  name                  = "tfstate-${each.key}"
  storage_account_id    = azurerm_storage_account.state[0].id
  container_access_type = "private"
}

resource "azurerm_storage_container" "bootstrap" {
  #checkov:skip=CKV2_AZURE_21:Blob reads, writes and deletes are logged by azurerm_monitor_diagnostic_setting.state_blobs (when log_analytics_workspace_id is set); the check only knows Log Analytics storage insights, which needs the account key disabled here.
  count = local.azure ? 1 : 0

  name                  = "tfstate-bootstrap"
  storage_account_id    = azurerm_storage_account.state[0].id
  container_access_type = "private"
}

resource "azurerm_role_assignment" "env_state" {
  for_each = local.azure ? var.environments : {}

  scope                = azurerm_storage_container.env[each.key].id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azuread_service_principal.env[each.key].object_id
  principal_type       = "ServicePrincipal"
}

# The CD stages sign in with the Azure CLI, which must see the subscription to select it.
resource "azurerm_role_assignment" "env_state_reader" {
  for_each = local.azure ? var.environments : {}

  scope                = azurerm_resource_group.state[0].id
  role_definition_name = "Reader"
  principal_id         = azuread_service_principal.env[each.key].object_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "admin_state" {
  for_each = local.azure ? toset(var.platform_admin_object_ids) : toset([])

  scope                = azurerm_storage_container.bootstrap[0].id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = each.value
}

resource "azurerm_monitor_diagnostic_setting" "state_blobs" {
  count = local.azure && var.log_analytics_workspace_id != null ? 1 : 0

  name                       = "state-blob-access"
  target_resource_id         = "${azurerm_storage_account.state[0].id}/blobServices/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id

  enabled_log {
    category = "StorageRead"
  }

  enabled_log {
    category = "StorageWrite"
  }

  enabled_log {
    category = "StorageDelete"
  }
}
