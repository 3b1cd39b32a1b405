"""The exact files a generated project holds, per option: a manifest written independently of
the post-generation hook, so a hook that removes too much or too little is caught."""

from __future__ import annotations

COMMON = """
.gitignore
.pre-commit-config.yaml
.secrets.baseline
Makefile
README.md
pyproject.toml
benchmarks/__init__.py
benchmarks/__main__.py
benchmarks/common.py
benchmarks/incremental.py
benchmarks/inference.py
benchmarks/pipeline.py
benchmarks/schema.json
conf/project.yml
conf/envs/ci.yml
conf/envs/dev.yml
conf/envs/local.yml
conf/envs/prod.yml
conf/envs/staging.yml
conf/envs/test.yml
conf/feature_mappings.yml
conf/feature_selection_config.yml
conf/data.yml
examples/one_table/data.yml
examples/one_table/feature_mappings.yml
examples/one_table/feature_selection_config.yml
examples/one_table/data/discharges.csv
src/{package}/__init__.py
src/{package}/__main__.py
src/{package}/batches.py
src/{package}/cli.py
src/{package}/config.py
src/{package}/caching.py
src/{package}/cohorts.py
src/{package}/commands.py
src/{package}/consistency.py
src/{package}/context.py
src/{package}/declarations.py
src/{package}/delivery.py
src/{package}/errors.py
src/{package}/estimators.py
src/{package}/evaluation.py
src/{package}/gate.py
src/{package}/importance.py
src/{package}/jobs.py
src/{package}/ingest.py
src/{package}/leakage.py
src/{package}/mappings.py
src/{package}/model_inputs.py
src/{package}/names.py
src/{package}/pipeline.py
src/{package}/references.py
src/{package}/report.py
src/{package}/scoring.py
src/{package}/selection.py
src/{package}/spine.py
src/{package}/split.py
src/{package}/synthetic.py
src/{package}/training.py
src/{package}/templates/report.html.j2
src/{package}/tuners.py
src/{package}/uncertainty.py
src/{package}/validation.py
src/{package}/yamlfiles.py
src/{package}/faults.py
src/{package}/adapters/__init__.py
src/{package}/adapters/feature_store.py
src/{package}/adapters/files.py
src/{package}/adapters/folders.py
src/{package}/adapters/registry.py
src/{package}/adapters/spark.py
src/{package}/adapters/tables.py
src/{package}/adapters/tracking.py
src/{package}/features/__init__.py
src/{package}/features/aggregates.py
src/{package}/features/definitions.py
src/{package}/features/functions.py
src/{package}/features/health_plan.py
src/{package}/features/lookup.py
src/{package}/features/snapshots.py
src/{package}/tasks/__init__.py
src/{package}/tasks/checks.py
src/{package}/tasks/data.py
src/{package}/tasks/model.py
src/{package}/tasks/scoring.py
tests/conftest.py
tests/test_your_conf.py
tests/example/test_health_plan_features.py
tests/example/test_synthetic.py
tests/example_conf/project.yml
tests/example_conf/data.yml
tests/example_conf/feature_mappings.yml
tests/example_conf/feature_selection_config.yml
tests/example_conf/envs/ci.yml
tests/example_conf/envs/dev.yml
tests/example_conf/envs/local.yml
tests/example_conf/envs/prod.yml
tests/example_conf/envs/staging.yml
tests/example_conf/envs/test.yml
tests/integration/test_data_errors.py
tests/integration/test_estimators.py
tests/integration/test_faults.py
tests/integration/test_incremental.py
tests/integration/test_local_platform.py
tests/integration/test_one_table.py
tests/integration/test_pipeline.py
tests/integration/test_steps_alone.py
tests/unit/test_aggregates.py
tests/unit/test_architecture.py
tests/unit/test_benchmarks.py
tests/unit/test_caching.py
tests/unit/test_calibration.py
tests/unit/test_class_archive.py
tests/unit/test_cli.py
tests/unit/test_cohorts.py
tests/unit/test_config.py
tests/unit/test_config_errors.py
tests/unit/test_deploy.py
tests/unit/test_dev_target.py
tests/unit/test_estimator_table.py
tests/unit/test_evaluation.py
tests/unit/test_feature_store.py
tests/unit/test_folders.py
tests/unit/test_gate.py
tests/unit/test_git_state.py
tests/unit/test_importance.py
tests/unit/test_jobs.py
tests/unit/test_platform.py
tests/unit/test_recovery.py
tests/unit/test_registry.py
tests/unit/test_remote_jobs.py
tests/unit/test_report.py
tools/dev_target.py
tools/plan_comment.py
tools/remote_jobs.py
tools/secret_patterns.py
tests/unit/test_leakage.py
tests/unit/test_lookup.py
tests/unit/test_names.py
tests/unit/test_plan_comment.py
tests/unit/test_scoring.py
tests/unit/test_selection.py
tests/unit/test_tables.py
tests/unit/test_training.py
tests/unit/test_uncertainty.py
jobs/run_task.py
notebooks/deliver.py
notebooks/deploy.py
notebooks/features.py
notebooks/infer.py
notebooks/ingest.py
notebooks/rollback.py
notebooks/train.py
notebooks/validate.py
notebooks/validate_data.py
terraform/modules/ml_jobs/jobs.tf
terraform/modules/ml_jobs/main.tf
terraform/modules/ml_jobs/outputs.tf
terraform/modules/ml_jobs/permissions.tf
terraform/modules/ml_jobs/variables.tf
terraform/modules/ml_jobs/versions.tf
terraform/envs/staging/main.tf
terraform/envs/staging/terraform.tfvars
terraform/envs/staging/variables.tf
terraform/envs/prod/main.tf
terraform/envs/prod/terraform.tfvars
terraform/envs/prod/variables.tf
terraform/envs/dev/main.tf
terraform/envs/dev/variables.tf
""".split()

CI_FILES = {
    "azure_devops": [
        ".azure-pipelines/ci.yml",
        ".azure-pipelines/cd-staging.yml",
        ".azure-pipelines/cd-prod.yml",
        ".azure-pipelines/templates/python.yml",
        ".azure-pipelines/templates/terraform-install.yml",
        "terraform/modules/ml_jobs/git_credential.tf",
    ],
    "github_actions": [
        ".github/actions/python/action.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/cd-staging.yml",
        ".github/workflows/cd-prod.yml",
        ".github/workflows/deploy.yml",
    ],
}

# How Azure DevOps signs in: Entra service connections on Azure, the job's OIDC token elsewhere.
ADO_SIGN_IN = {
    "azure": [
        ".azure-pipelines/templates/check-jobs.yml",
        ".azure-pipelines/templates/terraform.yml",
    ],
    "aws": [
        ".azure-pipelines/templates/check-jobs-oidc.yml",
        ".azure-pipelines/templates/terraform-oidc.yml",
    ],
}
ADO_SIGN_IN["gcp"] = ADO_SIGN_IN["aws"]
OIDC_TOOL = ["tools/cloud_credentials.py", "tests/unit/test_cloud_credentials.py"]

STATE_BACKEND = {"azure": "azurerm", "aws": "s3", "gcp": "gcs"}
MODEL_FILE = {
    "unity_catalog": "terraform/modules/ml_jobs/model_unity_catalog.tf",
    "workspace": "terraform/modules/ml_jobs/model_workspace.tf",
}


def expected_files(answers: dict) -> set[str]:
    """Relative paths of every file the project generated with ``answers`` must hold."""
    files = {path.format(package=answers["package_name"]) for path in COMMON}
    files.update(CI_FILES[answers["cicd_platform"]])
    if answers["cicd_platform"] == "azure_devops":
        files.update(ADO_SIGN_IN[answers["cloud"]])
    if answers["cloud"] != "azure":
        files.update(OIDC_TOOL)
    backend = STATE_BACKEND[answers["cloud"]]
    files.update(f"terraform/envs/{env}/backend_{backend}.tf" for env in ("staging", "prod"))
    files.add(MODEL_FILE[answers["model_registry"]])
    return files
