# One developer's dev deployment: the jobs of ../../modules/ml_jobs, named
# dev-<developer>-{{ cookiecutter.project_name }}-..., running the code of the developer's pushed feature branch, as the
# developer, with their schema, experiment and model (conf/envs/dev.yml, ${developer} filled in).
# `make dev-deploy` writes the values (developer.auto.tfvars.json) and applies this root with
# local state, one Terraform workspace per developer; `make dev-destroy` removes it all.

terraform {
  required_providers {
    databricks = {
      source = "databricks/databricks" # versions are pinned once, in the module
    }
  }
}

# Signs in as the developer: the Databricks CLI's login (`databricks auth login`), a profile
# (DATABRICKS_CONFIG_PROFILE) or DATABRICKS_* variables, as the CLI and the SDK do.
provider "databricks" {
  host = var.workspace_host
}

locals {
  # conf/envs/dev.yml's names, with the developer put in as the code puts it in
  schema     = "{{ cookiecutter.schema_name }}_${var.developer}"
  experiment = "/Shared/dev-{{ cookiecutter.project_name }}-${var.developer}"
{%- if cookiecutter.model_registry == "unity_catalog" %}
  model_name = "{{ cookiecutter.dev_catalog }}.${local.schema}.{{ cookiecutter.package_name }}"
{%- else %}
  model_name = "dev-{{ cookiecutter.package_name }}-${var.developer}"
{%- endif %}
}

module "ml_jobs" {
  source = "../../modules/ml_jobs"

  project               = "{{ cookiecutter.project_name }}"
  environment           = "dev"
  developer             = var.developer
  git_url               = var.git_url
  git_provider          = "{{ cookiecutter.__git_provider }}"
  git_branch            = var.git_branch
  run_as                = var.run_as
  manage_git_credential = false
  force_destroy         = true
  read_group            = "{{ cookiecutter.read_group }}"
  notification_email    = var.notification_email
  catalog               = "{{ cookiecutter.dev_catalog }}"
  schema                = local.schema
  experiment_name       = local.experiment
  model_name            = local.model_name
  compute               = "{{ cookiecutter.job_compute }}"
  node_type             = "{{ cookiecutter.__node_type }}"
  timezone              = "{{ cookiecutter.schedule_timezone }}"
  # the jobs run when the developer starts them (make dev-run JOB=...), never on a timer
  pause_status = "PAUSED"
  schedules = {
    features  = "{{ cookiecutter.feature_schedule }}"
    training  = "{{ cookiecutter.training_schedule }}"
    inference = "{{ cookiecutter.inference_schedule }}"
  }
  num_workers = {
    features  = 1
    training  = 1
    inference = 1
    delivery  = 1
    rollback  = 1
  }
}

output "jobs" {
  description = "Workspace URL of each job of this dev deployment."
  value       = module.ml_jobs.job_urls
}

output "job_ids" {
  description = "Id of each job of this dev deployment."
  value       = module.ml_jobs.job_ids
}
