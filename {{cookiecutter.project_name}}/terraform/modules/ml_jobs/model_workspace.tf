# The registered model in the workspace model registry. The environment's service principal
# manages it (registers versions, moves the champion alias); the read group may read it.

resource "databricks_mlflow_model" "this" {
  name        = var.model_name
  description = "${var.project} (${var.environment}). Aliases: champion, previous_champion; set only by the training job's deploy task."
}

resource "databricks_permissions" "model" {
  registered_model_id = databricks_mlflow_model.this.registered_model_id

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
