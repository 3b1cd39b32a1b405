# GitHub Actions (ci_platform = github_actions). Per model repository: one GitHub environment
# per deployment environment (deployable only from its branch, except staging, which pull
# requests use; prod needs a reviewer) plus prod-plan (prod's plan job: release branch only, no
# reviewer), the environment variables the workflows read, and protection of the deployed
# branches. The environment variables come in two resources, one per identity path (Entra on
# azure, Databricks account on aws and gcp), so that the aws/gcp path refers to no Azure resource.

data "github_team" "prod_reviewers" {
  for_each = local.github ? toset(var.github_prod_reviewer_teams) : toset([])

  slug = each.value
}

resource "github_repository_environment" "env" {
  for_each = local.github ? local.github_repo_environments : {}

  repository          = each.value.repo
  environment         = each.value.environment
  prevent_self_review = true
  can_admins_bypass   = false

  # Only prod itself waits for a reviewer; prod-plan, where the plan the reviewers read is made,
  # does not (it deploys nothing).
  dynamic "reviewers" {
    for_each = each.value.environment == "prod" ? [1] : []

    content {
      teams = [for team in data.github_team.prod_reviewers : team.id]
    }
  }

  # An environment that takes pull requests (staging) is open to every branch: pull-request CI
  # plans it and runs its training job. The others (prod-plan too) admit only their branch.
  dynamic "deployment_branch_policy" {
    for_each = contains(local.pull_request_envs, each.value.env) ? [] : [1]

    content {
      protected_branches     = false
      custom_branch_policies = true
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.environment != "prod" || length(var.github_prod_reviewer_teams) > 0
      error_message = "Set github_prod_reviewer_teams: prod deployments need a reviewer."
    }
  }
}

resource "github_repository_environment_deployment_policy" "env" {
  for_each = local.github ? { for key, pair in local.github_repo_environments : key => pair if !contains(local.pull_request_envs, pair.env) } : {}

  repository     = each.value.repo
  environment    = github_repository_environment.env[each.key].environment
  branch_pattern = var.environments[each.value.env].git_branch
}

locals {
  # <repo>/<GitHub environment>/<NAME> => one variable; prod-plan gets prod's.
  github_azure_variables = merge([
    for key, pair in local.github_repo_environments : {
      for name, value in local.azure_pipeline_variables[pair.env] :
      "${key}/${name}" => { repo = pair.repo, env_key = key, name = name, value = value }
    } if contains(keys(local.azure_pipeline_variables), pair.env)
  ]...)

  github_account_variables = merge([
    for key, pair in local.github_repo_environments : {
      for name, value in local.account_pipeline_variables[pair.env] :
      "${key}/${name}" => { repo = pair.repo, env_key = key, name = name, value = value }
    } if contains(keys(local.account_pipeline_variables), pair.env)
  ]...)
}

resource "github_actions_environment_variable" "env" {
  for_each = local.azure && local.github ? local.github_azure_variables : {}

  repository    = each.value.repo
  environment   = github_repository_environment.env[each.value.env_key].environment
  variable_name = each.value.name
  value         = each.value.value
}

resource "github_actions_environment_variable" "account" {
  for_each = local.account && local.github ? local.github_account_variables : {}

  repository    = each.value.repo
  environment   = github_repository_environment.env[each.value.env_key].environment
  variable_name = each.value.name
  value         = each.value.value
}

resource "github_branch_protection" "model" {
  for_each = local.github ? local.repo_branches : {}

  repository_id          = each.value.repo
  pattern                = each.value.branch
  enforce_admins         = true
  allows_deletions       = false
  allows_force_pushes    = false
  require_signed_commits = true

  required_status_checks {
    strict   = true
    contexts = [var.github_ci_check]
  }

  required_pull_request_reviews {
    required_approving_review_count = var.min_reviewers
    dismiss_stale_reviews           = true
    require_last_push_approval      = true
  }
}
