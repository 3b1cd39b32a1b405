# GitHub Actions (ci_platform = github_actions). Per model repository: one GitHub environment
# per deployment environment (deployable only from its branch, except staging, which pull
# requests use; prod needs a reviewer), the environment variables the workflows read, and
# protection of the deployed branches.

data "github_team" "prod_reviewers" {
  for_each = local.github ? toset(var.github_prod_reviewer_teams) : toset([])

  slug = each.value
}

resource "github_repository_environment" "env" {
  for_each = local.github ? local.repo_envs : {}

  repository          = each.value.repo
  environment         = each.value.env
  prevent_self_review = true
  can_admins_bypass   = false

  dynamic "reviewers" {
    for_each = each.value.env == "prod" ? [1] : []

    content {
      teams = [for team in data.github_team.prod_reviewers : team.id]
    }
  }

  # An environment that takes pull requests (staging) is open to every branch: pull-request CI
  # plans it and runs its training job. The others deploy only from their branch.
  dynamic "deployment_branch_policy" {
    for_each = contains(local.pull_request_envs, each.value.env) ? [] : [1]

    content {
      protected_branches     = false
      custom_branch_policies = true
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.env != "prod" || length(var.github_prod_reviewer_teams) > 0
      error_message = "Set github_prod_reviewer_teams: prod deployments need a reviewer."
    }
  }
}

resource "github_repository_environment_deployment_policy" "env" {
  for_each = local.github ? { for key, pair in local.repo_envs : key => pair if !contains(local.pull_request_envs, pair.env) } : {}

  repository     = each.value.repo
  environment    = github_repository_environment.env[each.key].environment
  branch_pattern = var.environments[each.value.env].git_branch
}

locals {
  github_variables = merge([
    for key, pair in local.repo_envs : {
      for name, value in local.pipeline_variables[pair.env] :
      "${key}/${name}" => { repo = pair.repo, env_key = key, name = name, value = value }
    }
  ]...)
}

resource "github_actions_environment_variable" "env" {
  for_each = local.github ? local.github_variables : {}

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
