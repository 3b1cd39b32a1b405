# Everything of one environment, or of one developer's dev deployment: its schema and delivery
# volume, MLflow experiment, registered model (model_*.tf), the jobs (jobs.tf) and who may see or
# change them (permissions.tf).
# Environment roots only pass values.

locals {
  # dev-<developer>-<project> for one developer's dev deployment, else <environment>-<project>
  prefix = join("-", compact([var.environment, var.developer, var.project]))
  tags = merge(
    {
      project     = var.project
      environment = var.environment
      managed_by  = "terraform"
    },
    var.developer == "" ? {} : { developer = var.developer },
  )
  # Who the jobs run as and who owns what they make: a service principal (its application id)
  # in staging and prod, the developer (their user name) in a dev deployment.
  run_as_user = strcontains(var.run_as, "@")
  run_as_sp   = local.run_as_user ? null : var.run_as
  run_as_name = local.run_as_user ? var.run_as : null
}

resource "databricks_schema" "this" {
  catalog_name = var.catalog
  name         = var.schema
  owner        = var.run_as
  comment      = "Tables of ${var.project} (${var.environment}), written by its jobs."
  # a dev deployment's schema goes with its tables when it is destroyed; staging's and prod's
  # cannot be dropped while they hold any
  force_destroy = var.force_destroy
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
