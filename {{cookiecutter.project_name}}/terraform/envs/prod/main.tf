# The prod environment: deploys the code of branch "{{ cookiecutter.release_branch }}". Values only; logic is in the module.

provider "databricks" {
  host = var.workspace_host
}

module "ml_jobs" {
  source = "../../modules/ml_jobs"

  environment        = "prod"
  git_branch         = "{{ cookiecutter.release_branch }}"
  experiment_name    = "/Shared/prod-{{ cookiecutter.project_name }}"
  read_group         = "{{ cookiecutter.read_group }}"
  notification_email = var.notification_email
  node_type          = "{{ cookiecutter.__node_type }}"
}
