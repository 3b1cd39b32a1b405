# The prod environment: its jobs run the code of branch "{{ cookiecutter.release_branch }}" as the prod service
# principal. Values only; what an environment is made of lives in ../../modules/ml_jobs.

terraform {
  required_providers {
    databricks = {
      source = "databricks/databricks" # versions are pinned once, in the module
    }
  }
}

provider "databricks" {
  host = var.workspace_host
}

module "ml_jobs" {
  source = "../../modules/ml_jobs"

  project            = "{{ cookiecutter.project_name }}"
  environment        = "prod"
  git_url            = var.git_url
  git_provider       = "{{ cookiecutter.__git_provider }}"
  git_branch         = "{{ cookiecutter.release_branch }}"
  run_as             = var.run_as
  read_group         = "{{ cookiecutter.read_group }}"
  notification_email = var.notification_email
  catalog            = "{{ cookiecutter.prod_catalog }}"
  schema             = "{{ cookiecutter.schema_name }}"
  experiment_name    = "/Shared/prod-{{ cookiecutter.project_name }}"
  model_name         = "{{ cookiecutter.__prod_model_name }}"
  compute            = "{{ cookiecutter.job_compute }}"
  node_type          = "{{ cookiecutter.__node_type }}"
  timezone           = "{{ cookiecutter.schedule_timezone }}"
  schedules = {
    features  = "{{ cookiecutter.feature_schedule }}"
    training  = "{{ cookiecutter.training_schedule }}"
    inference = "{{ cookiecutter.inference_schedule }}"
  }
}

output "jobs" {
  description = "Workspace URL of each job of the prod environment."
  value       = module.ml_jobs.job_urls
}

output "job_ids" {
  description = "Id of each job of the prod environment (the deploy pipeline checks they exist)."
  value       = module.ml_jobs.job_ids
}
