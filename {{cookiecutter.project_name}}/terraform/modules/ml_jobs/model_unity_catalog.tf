# The registered model in Unity Catalog, owned by the environment's service principal: only its
# jobs register versions and move the champion alias. The read group may load it (EXECUTE).

resource "databricks_registered_model" "this" {
  catalog_name = databricks_schema.this.catalog_name
  schema_name  = databricks_schema.this.name
  name         = element(split(".", var.model_name), 2)
  owner        = var.run_as
  comment      = "${var.project} (${var.environment}). Aliases: champion, previous_champion; set only by the training job's deploy task."
}

resource "databricks_grants" "model" {
  model = databricks_registered_model.this.id

  grant {
    principal  = var.read_group
    privileges = ["EXECUTE"]
  }
}
