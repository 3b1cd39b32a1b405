# All set by `make dev-deploy` in developer.auto.tfvars.json (python -m tools.dev_target):
# nothing here is reviewed or shared, and the file is not committed.

variable "workspace_host" {
  description = "URL of the dev workspace, https://... (the one you signed in to)."
  type        = string

  validation {
    condition     = startswith(var.workspace_host, "https://")
    error_message = "workspace_host must be the dev workspace's URL (https://...): sign in with `databricks auth login --host <url>`."
  }
}

variable "developer" {
  description = "Your name in the deployment's names (jobs, schema, experiment, model)."
  type        = string
}

variable "run_as" {
  description = "Your user name: the jobs run as you."
  type        = string
}

variable "notification_email" {
  description = "Where job failure notices go (you)."
  type        = string
}

variable "git_branch" {
  description = "Your feature branch, pushed: the jobs check it out when they start."
  type        = string
}

variable "git_url" {
  description = "HTTPS URL of the repository the branch is pushed to."
  type        = string
}
