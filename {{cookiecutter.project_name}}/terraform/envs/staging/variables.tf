# terraform.tfvars sets the first two (reviewed in pull requests); the deploy pipeline sets the
# others from the platform bootstrap's outputs (TF_VAR_run_as, TF_VAR_git_url).

variable "workspace_host" {
  description = "URL of the Databricks workspace, https://..."
  type        = string

  validation {
    condition     = startswith(var.workspace_host, "https://")
    error_message = "Set workspace_host in terraform.tfvars to the workspace URL (https://...)."
  }
}

variable "notification_email" {
  description = "Address that receives job failure notices."
  type        = string
}

variable "run_as" {
  description = "Application id of this environment's service principal (platform bootstrap output)."
  type        = string
}

variable "git_url" {
  description = "HTTPS URL of this repository, which the jobs check out."
  type        = string
}
