# Everything of one environment: its schema and delivery volume, MLflow experiment, registered model
# (model_*.tf), the four jobs (jobs.tf) and who may see or change them (permissions.tf).
# Environment roots only pass values.

locals {
  prefix = "${var.environment}-${var.project}"
  tags = {
    project     = var.project
    environment = var.environment
    managed_by  = "terraform"
  }
}

resource "databricks_schema" "this" {
  catalog_name = var.catalog
  name         = var.schema
  owner        = var.run_as
  comment      = "Tables of ${var.project} (${var.environment}), written by its jobs."
}

resource "databricks_volume" "delivery" {
  catalog_name = databricks_schema.this.catalog_name
  schema_name  = databricks_schema.this.name
  name         = "delivery"
  volume_type  = "MANAGED"
  owner        = var.run_as
  comment      = "Worklist CSV files and reports written by the delivery job."
}

resource "databricks_mlflow_experiment" "this" {
  name        = var.experiment_name
  description = "${var.project} (${var.environment}): training trials, gate decisions, scoring runs."
}
