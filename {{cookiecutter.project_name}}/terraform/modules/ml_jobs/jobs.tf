# The jobs of one environment, as a table. Each task runs a notebook of notebooks/ (a shell that
# calls one function of the package) checked out from var.git_branch when the run starts, so what
# runs is exactly what was merged: code is promoted, never model files.

locals {
  jobs = {
    features = {
      description = "Ingest and validate the sources, then build the feature snapshots."
      schedule    = [var.schedules["features"]]
      tasks = [
        { key = "ingest", after = [], parameters = { env = var.environment } },
        { key = "validate_data", after = ["ingest"], parameters = { env = var.environment } },
        { key = "features", after = ["validate_data"], parameters = { env = var.environment } },
      ]
    }
    training = {
      description = "Tune and train a challenger, gate it against the champion on the same holdout, promote it only if it wins."
      schedule    = [var.schedules["training"]]
      tasks = [
        { key = "train", after = [], parameters = { env = var.environment } },
        { key = "validate", after = ["train"], parameters = { env = var.environment } },
        { key = "deploy", after = ["validate"], parameters = { env = var.environment } },
      ]
    }
    inference = {
      description = "Score the latest feature snapshot with the champion model and deliver the worklist."
      schedule    = [var.schedules["inference"]]
      tasks = [
        { key = "infer", after = [], parameters = { env = var.environment, score_date = "" } },
        { key = "deliver", after = ["infer"], parameters = { env = var.environment, score_date = "" } },
      ]
    }
    # No schedule: the inference job delivers every day; run this one by hand to resend a day's
    # list (set score_date) without scoring again.
    delivery = {
      description = "Write one day's worklist to the delivery volume again."
      schedule    = []
      tasks = [
        { key = "deliver", after = [], parameters = { env = var.environment, score_date = "" } },
      ]
    }
    # No schedule: run it to put the previous champion back (the registry keeps it as
    # @previous_champion), as the service principal, recorded like every alias move.
    rollback = {
      description = "Point the champion alias back at the previous champion."
      schedule    = []
      tasks = [
        { key = "rollback", after = [], parameters = { env = var.environment } },
      ]
    }
  }
}

resource "databricks_job" "this" {
  for_each = local.jobs

  name                = "${local.prefix}-${each.key}"
  description         = each.value.description
  max_concurrent_runs = 1
  timeout_seconds     = var.job_timeout_seconds[each.key]
  tags                = local.tags

  git_source {
    url      = var.git_url
    provider = var.git_provider
    branch   = var.git_branch
  }

  run_as {
    service_principal_name = var.run_as
  }

  dynamic "schedule" {
    for_each = each.value.schedule
    content {
      quartz_cron_expression = schedule.value
      timezone_id            = var.timezone
      pause_status           = var.pause_status
    }
  }

  email_notifications {
    on_failure = [var.notification_email]
  }

  webhook_notifications {
    dynamic "on_failure" {
      for_each = var.failure_webhook_ids
      content {
        id = on_failure.value
      }
    }
  }

  job_cluster {
    job_cluster_key = "main"
    new_cluster {
      spark_version      = var.spark_version
      node_type_id       = var.node_type
      num_workers        = var.num_workers[each.key]
      data_security_mode = "SINGLE_USER" # dedicated access mode: Unity Catalog with an ML runtime
      single_user_name   = var.run_as
      custom_tags        = local.tags
    }
  }

  dynamic "task" {
    for_each = each.value.tasks
    content {
      task_key                  = task.value.key
      job_cluster_key           = "main"
      max_retries               = var.max_retries
      min_retry_interval_millis = var.min_retry_interval_millis
      timeout_seconds           = var.task_timeout_seconds[task.value.key]

      dynamic "depends_on" {
        for_each = task.value.after
        iterator = upstream
        content {
          task_key = upstream.value
        }
      }

      notebook_task {
        notebook_path   = "notebooks/${task.value.key}"
        base_parameters = task.value.parameters
      }

      dynamic "library" {
        for_each = var.pypi_packages
        content {
          pypi {
            package = library.value
          }
        }
      }
    }
  }
}
