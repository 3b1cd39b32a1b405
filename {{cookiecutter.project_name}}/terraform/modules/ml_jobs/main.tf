# Everything of one environment. The jobs (feature, training, inference) are added with the
# pipeline steps they run; environment roots only pass values.

resource "databricks_mlflow_experiment" "this" {
  name        = var.experiment_name
  description = "{{ cookiecutter.project_name }} (${var.environment}, branch ${var.git_branch})"
}

resource "databricks_permissions" "experiment" {
  experiment_id = databricks_mlflow_experiment.this.id

  access_control {
    group_name       = var.read_group
    permission_level = "CAN_READ"
  }
}
