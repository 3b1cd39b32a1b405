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
