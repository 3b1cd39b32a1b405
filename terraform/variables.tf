variable "cloud" {
  description = "Cloud of the Databricks workspaces: azure, aws or gcp. azure signs the CI in through Microsoft Entra workload identity federation and keeps the state in Azure Storage; aws and gcp create Databricks account service principals with Databricks federation policies, and the state bucket is a prerequisite (see README)."
  type        = string
  default     = "azure"

  validation {
    condition     = contains(["azure", "aws", "gcp"], var.cloud)
    error_message = "cloud must be azure, aws or gcp."
  }
}

variable "ci_platform" {
  description = "CI/CD platform of the model projects: azure_devops or github_actions. Only that platform's resources are created."
  type        = string
  default     = "azure_devops"

  validation {
    condition     = contains(["azure_devops", "github_actions"], var.ci_platform)
    error_message = "ci_platform must be azure_devops or github_actions."
  }
}

variable "subscription_id" {
  description = "Azure subscription that holds the Terraform state storage (and that the service connections are scoped to). Required on cloud = azure; unused on aws and gcp."
  type        = string
  default     = null

  validation {
    condition     = var.subscription_id == null || can(regex("^[0-9a-fA-F-]{36}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID."
  }
}

variable "location" {
  description = "Azure region of the state storage, e.g. westeurope. Required on cloud = azure."
  type        = string
  default     = null
}

variable "databricks_account_id" {
  description = "Databricks account id (a GUID, shown in the account console). Required on cloud = aws and gcp: the service principals and their federation policies are created in the account, and it is the audience of the GitHub Actions tokens."
  type        = string
  default     = null

  validation {
    condition     = var.databricks_account_id == null || can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.databricks_account_id))
    error_message = "databricks_account_id must be the account's GUID."
  }
}

variable "state_bucket_region" {
  description = "AWS region of the environments' S3 state buckets, e.g. eu-west-1 (cloud = aws; the buckets are a prerequisite)."
  type        = string
  default     = null
}

variable "gcp_workload_identity_provider" {
  description = "Full resource name of the Google Cloud workload identity pool provider that trusts the CI's OIDC tokens: projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider> (cloud = gcp; a prerequisite)."
  type        = string
  default     = null

  validation {
    condition     = var.gcp_workload_identity_provider == null || can(regex("^projects/[0-9]+/locations/global/workloadIdentityPools/[^/]+/providers/[^/]+$", var.gcp_workload_identity_provider))
    error_message = "gcp_workload_identity_provider must be projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>."
  }
}

variable "name_prefix" {
  description = "Prefix of the service principal names (Entra applications on azure, Databricks account service principals on aws and gcp): <prefix>-databricks-<environment>."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every Azure resource."
  type        = map(string)
  default     = {}
}

variable "environments" {
  description = <<-EOT
    Deployment environments, by name. Each has its own service principal (Entra on azure, Databricks
    account on aws and gcp), state, Databricks registration and CI credentials. staging and prod are
    required; add more (e.g. dev) only together with a Databricks provider alias and the per-alias
    blocks of databricks.tf for it.
    workspace_host: workspace URL (https://adb-....azuredatabricks.net, https://dbc-....cloud.databricks.com,
    https://<id>.<n>.gcp.databricks.com); may be the same for all environments when they share one
    workspace. git_branch: the branch this environment deploys.
    pull_requests: whether pull-request CI may sign in as this environment (to plan it and to run
    its training job at the pull request's commit); default true for staging, false otherwise.
    Never for prod: prod credentials never reach code not yet merged into the release branch.
    aws and gcp only (prerequisites made by the admin, see README): workspace_id (the workspace's
    numeric id, to assign the service principal to it), state_bucket (the environment's state
    bucket, S3 or GCS), aws_role_arn (aws: the IAM role the CI assumes with its OIDC token to reach
    that bucket), gcp_service_account (gcp: the service account the CI impersonates for it).
  EOT
  type = map(object({
    workspace_host      = string
    git_branch          = string
    pull_requests       = optional(bool)
    workspace_id        = optional(number)
    state_bucket        = optional(string)
    aws_role_arn        = optional(string)
    gcp_service_account = optional(string)
  }))

  validation {
    condition     = contains(keys(var.environments), "staging") && contains(keys(var.environments), "prod")
    error_message = "environments must contain staging and prod."
  }

  validation {
    condition     = alltrue([for name in keys(var.environments) : can(regex("^[a-z][a-z0-9]{1,15}$", name))])
    error_message = "Environment names must be 2-16 lowercase letters or digits, starting with a letter."
  }

  validation {
    condition     = try(var.environments["prod"].pull_requests, null) != true
    error_message = "prod must not set pull_requests: pull-request CI never signs in as prod."
  }

  validation {
    condition     = alltrue([for env in values(var.environments) : can(regex("^https://[^/]+/?$", env.workspace_host))])
    error_message = "Each workspace_host must be a workspace URL: https://<host>."
  }

  validation {
    condition     = alltrue([for env in values(var.environments) : can(regex("^[A-Za-z0-9._/-]+$", env.git_branch)) && !startswith(env.git_branch, "refs/")])
    error_message = "Each git_branch must be a plain branch name such as main or release (no refs/heads/ prefix)."
  }
}

variable "model_repositories" {
  description = "Names of the model project repositories (Azure DevOps repositories in azure_devops_project, or GitHub repositories of github_owner). Apply again whenever a project is added."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for repo in var.model_repositories : can(regex("^[A-Za-z0-9._-]+$", repo))])
    error_message = "Repository names may contain only letters, digits, '.', '_' and '-'."
  }
}

variable "platform_admin_object_ids" {
  description = "Microsoft Entra object ids (ideally one group) allowed to read and write this bootstrap's own state. Required (at least one) on cloud = azure."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.platform_admin_object_ids : can(regex("^[0-9a-fA-F-]{36}$", id))])
    error_message = "platform_admin_object_ids must be object ids (GUIDs)."
  }
}

variable "state_resource_group_name" {
  description = "Resource group of the Terraform state storage."
  type        = string
  default     = "rg-mlops-tfstate"
}

variable "state_storage_account_name" {
  description = "Name of the state storage account: 3-24 lowercase letters and digits, unique across Azure. Required on cloud = azure."
  type        = string
  default     = null

  validation {
    condition     = var.state_storage_account_name == null || can(regex("^[a-z0-9]{3,24}$", var.state_storage_account_name))
    error_message = "state_storage_account_name must be 3-24 lowercase letters and digits."
  }
}

variable "state_replication_type" {
  description = "Replication of the state storage account: ZRS, GRS, RAGRS, GZRS or RAGZRS (GZRS needs a region with availability zones)."
  type        = string
  default     = "GZRS"

  validation {
    condition     = contains(["ZRS", "GRS", "RAGRS", "GZRS", "RAGZRS"], var.state_replication_type)
    error_message = "state_replication_type must be ZRS, GRS, RAGRS, GZRS or RAGZRS."
  }
}

variable "state_retention_days" {
  description = "Days that deleted state blobs, versions and containers stay recoverable (soft delete)."
  type        = number
  default     = 30

  validation {
    condition     = var.state_retention_days >= 7 && var.state_retention_days <= 365
    error_message = "state_retention_days must be between 7 and 365."
  }
}

variable "log_analytics_workspace_id" {
  description = "Resource id of a Log Analytics workspace that receives the state account's blob access logs (read, write, delete). Unset: no access logs."
  type        = string
  default     = null
}

variable "azure_devops_org_url" {
  description = "Azure DevOps organisation URL, https://dev.azure.com/<organisation> (ci_platform = azure_devops)."
  type        = string
  default     = null

  validation {
    condition     = var.azure_devops_org_url == null || can(regex("^https://", var.azure_devops_org_url))
    error_message = "azure_devops_org_url must be https://dev.azure.com/<organisation>."
  }
}

variable "azure_devops_organization_id" {
  description = "GUID of the Azure DevOps organisation (ci_platform = azure_devops on cloud = aws or gcp): the issuer of its pipelines' OIDC tokens is https://vstoken.dev.azure.com/<this id>. It is the instanceId of https://dev.azure.com/<organisation>/_apis/connectionData."
  type        = string
  default     = null

  validation {
    condition     = var.azure_devops_organization_id == null || can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.azure_devops_organization_id))
    error_message = "azure_devops_organization_id must be the organisation's GUID."
  }
}

variable "azure_devops_project" {
  description = "Azure DevOps project holding the model repositories (ci_platform = azure_devops)."
  type        = string
  default     = null
}

variable "azure_devops_name_prefix" {
  description = "Prefix of the per-environment variable groups (<prefix>-<environment>) and service connections (<prefix>-<environment>-wif)."
  type        = string
  default     = "databricks"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$", var.azure_devops_name_prefix))
    error_message = "azure_devops_name_prefix must be letters, digits, '_' or '-'."
  }
}

variable "prod_approver_groups" {
  description = "Azure DevOps groups of the project whose members approve prod deployments, e.g. [\"ML Release Approvers\"] (ci_platform = azure_devops)."
  type        = list(string)
  default     = []
}

variable "min_reviewers" {
  description = "Approvals a pull request into a deployed branch needs (Azure DevOps and GitHub)."
  type        = number
  default     = 2

  validation {
    condition     = var.min_reviewers >= 1
    error_message = "min_reviewers must be at least 1."
  }
}

variable "github_owner" {
  description = "GitHub organisation owning the model repositories (ci_platform = github_actions)."
  type        = string
  default     = null
}

variable "github_prod_reviewer_teams" {
  description = "Slugs of the GitHub teams whose members approve prod deployments (ci_platform = github_actions)."
  type        = list(string)
  default     = []
}

variable "github_ci_check" {
  description = "Status check that must pass before merging on GitHub: the job name of the project's ci workflow."
  type        = string
  default     = "test"
}
