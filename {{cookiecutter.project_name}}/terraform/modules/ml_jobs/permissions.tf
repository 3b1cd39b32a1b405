# Who may do what. The environment's service principal runs and owns everything; the read group
# only looks. Nobody else gets a grant from this module.

resource "databricks_permissions" "jobs" {
  for_each = databricks_job.this
  job_id   = each.value.id

  access_control {
    service_principal_name = local.run_as_sp
    user_name              = local.run_as_name
    permission_level       = "IS_OWNER"
  }

  access_control {
    group_name       = var.read_group
    permission_level = "CAN_VIEW"
  }
}

resource "databricks_permissions" "experiment" {
  experiment_id = databricks_mlflow_experiment.this.id

  access_control {
    service_principal_name = local.run_as_sp
    user_name              = local.run_as_name
    permission_level       = "CAN_MANAGE"
  }

  access_control {
    group_name       = var.read_group
    permission_level = "CAN_READ"
  }
}

# Authoritative: the grants below replace any other grant on the schema (its owner, the service
# principal, needs none).
resource "databricks_grants" "schema" {
  schema = databricks_schema.this.id

  grant {
    principal  = var.read_group
    privileges = ["USE_SCHEMA", "SELECT", "READ_VOLUME", "EXECUTE"]
  }
}
