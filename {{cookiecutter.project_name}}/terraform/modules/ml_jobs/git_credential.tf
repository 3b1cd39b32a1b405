# Lets the jobs (git_source) fetch this Azure DevOps repository as the service principal with its
# Microsoft Entra identity: no personal access token. A git credential belongs to the identity
# Terraform signs in as, and the deploy stage signs in as the environment's service principal, so
# it is created here. There is one per service principal, shared by every project deployed by it:
# `force` adopts an existing one; destroying one project's environment removes it until the next
# apply of any project (the platform bootstrap trusts the workspace to act for the principal).
# A developer's dev deployment makes none: the jobs run as the developer, with the developer's
# own git credential (Settings > Linked accounts), which `force` would replace.

resource "databricks_git_credential" "azure_devops" {
  count = var.manage_git_credential ? 1 : 0

  git_provider = "azureDevOpsServicesAad"
  force        = true
}
