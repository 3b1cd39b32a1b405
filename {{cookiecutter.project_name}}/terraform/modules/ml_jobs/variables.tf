variable "environment" {
  description = "Environment name: staging or prod."
  type        = string
}

variable "git_branch" {
  description = "Branch whose code this environment's jobs run."
  type        = string
}

variable "experiment_name" {
  description = "Workspace path of the MLflow experiment."
  type        = string
}

variable "read_group" {
  description = "Group allowed to view the jobs, experiment and model."
  type        = string
}

variable "notification_email" {
  description = "Address that receives job failure notices."
  type        = string
}

variable "node_type" {
  description = "VM type of the jobs' clusters (chosen per cloud when the project was generated)."
  type        = string
}
