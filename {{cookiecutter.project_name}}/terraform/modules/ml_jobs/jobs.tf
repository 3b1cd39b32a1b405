# The jobs of one environment, as a table. Each task runs one step of the package from the code of
# var.git_branch, checked out when the run starts, so what runs is exactly what was merged: code
# is promoted, never model files. On classic compute a task is a notebook of notebooks/ on a job
# cluster, with the libraries the ML runtime lacks; on serverless compute it is the script
# jobs/run_task.py in the job's Python environment (serverless takes no notebook environment and
# no task libraries). Both are shells over the same function, {{ cookiecutter.package_name }}.jobs.run_task.

locals {
  # The parameters of a task: notebook widgets (classic), or the script's arguments
  # (serverless; the Jobs service puts the task's key in place of its task.name reference).
  parameters = {
    env      = { env = var.environment, developer = var.developer }
    env_date = { env = var.environment, developer = var.developer, score_date = "" }
  }
  arguments = {
{%- raw %}
    env      = ["{{task.name}}", "--env", var.environment, "--developer", var.developer]
    env_date = ["{{task.name}}", "--env", var.environment, "--developer", var.developer, "--score-date", ""]
{%- endraw %}
  }
  # What each kind of compute puts in a job and in its tasks: a list of one makes a block, an
  # empty list none; null leaves an attribute unset.
  computes = {
    classic = {
      job_clusters = ["main"]
      environments = []
      cluster_key  = "main"
      env_key      = null
      notebook     = [true]
      script       = []
      libraries    = var.pypi_packages
    }
    serverless = {
      job_clusters = []
      environments = ["default"]
      cluster_key  = null
      env_key      = "default"
      notebook     = []
      script       = [true]
      libraries    = []
    }
  }
  compute = local.computes[var.compute]

  jobs = {
    features = {
      description = "Ingest and validate the sources, then build the feature snapshots."
      schedule    = [var.schedules["features"]]
      tasks = [
        { key = "ingest", after = [], parameters = "env" },
        { key = "validate_data", after = ["ingest"], parameters = "env" },
        { key = "features", after = ["validate_data"], parameters = "env" },
      ]
    }
    training = {
      description = "Tune and train a challenger, gate it against the champion on the same holdout, promote it only if it wins."
      schedule    = [var.schedules["training"]]
      tasks = [
        { key = "train", after = [], parameters = "env" },
        { key = "validate", after = ["train"], parameters = "env" },
        { key = "deploy", after = ["validate"], parameters = "env" },
      ]
    }
    inference = {
      description = "Score the latest feature snapshot with the champion model and deliver the worklist."
      schedule    = [var.schedules["inference"]]
      tasks = [
        { key = "infer", after = [], parameters = "env_date" },
        { key = "deliver", after = ["infer"], parameters = "env_date" },
      ]
    }
    # No schedule: the inference job delivers every day; run this one by hand to resend a day's
    # list (set score_date) without scoring again.
    delivery = {
      description = "Write one day's worklist to the delivery volume again."
      schedule    = []
      tasks = [
        { key = "deliver", after = [], parameters = "env_date" },
      ]
    }
    # No schedule: run it to put the previous champion back (the registry keeps it as
    # @previous_champion), as the service principal, recorded like every alias move.
    rollback = {
      description = "Point the champion alias back at the previous champion."
      schedule    = []
      tasks = [
        { key = "rollback", after = [], parameters = "env" },
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
    service_principal_name = local.run_as_sp
    user_name              = local.run_as_name
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

  dynamic "job_cluster" {
    for_each = local.compute.job_clusters
    content {
      job_cluster_key = job_cluster.value
      new_cluster {
        spark_version      = var.spark_version
        node_type_id       = var.node_type
        num_workers        = var.num_workers[each.key]
        data_security_mode = "SINGLE_USER" # dedicated access mode: Unity Catalog, an ML runtime
        single_user_name   = var.run_as
        custom_tags        = local.tags
      }
    }
  }

  dynamic "environment" {
    for_each = local.compute.environments
    content {
      environment_key = environment.value
      spec {
        environment_version = var.serverless_environment_version
        dependencies        = var.serverless_dependencies
      }
    }
  }

  dynamic "task" {
    for_each = each.value.tasks
    content {
      task_key                  = task.value.key
      job_cluster_key           = local.compute.cluster_key
      environment_key           = local.compute.env_key
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

      dynamic "notebook_task" {
        for_each = local.compute.notebook
        content {
          notebook_path   = "notebooks/${task.value.key}"
          base_parameters = local.parameters[task.value.parameters]
        }
      }

      dynamic "spark_python_task" {
        for_each = local.compute.script
        content {
          python_file = "jobs/run_task.py"
          source      = "GIT"
          parameters  = local.arguments[task.value.parameters]
        }
      }

      dynamic "library" {
        for_each = local.compute.libraries
        content {
          pypi {
            package = library.value
          }
        }
      }
    }
  }
}
