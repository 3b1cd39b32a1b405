"""Every command of the package, once: its name on the command line, whether `run` runs it, and
whether a Databricks job task runs it (the task key, and the notebook's name, is the command's
name with "_" for "-"). The CLI's choices, the pipeline's tables and the job tasks all come from
here; the tests hold the Terraform jobs and notebooks/ to it. No import: the CLI parses its
arguments before Spark or MLflow is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    does: str  # for the CLI's help
    step: bool = False  # one of the steps `run` runs, in this order
    job_task: bool = False  # a Databricks job task runs it
    pipeline: bool = True  # the pipeline does it (`run` and `ui` are the CLI's own)

    @property
    def task(self) -> str:
        """The key of the job task (and the name of the notebook) that runs the command."""
        return self.name.replace("-", "_")


COMMANDS = (
    Command("ingest", "read the sources into raw tables", step=True, job_task=True),
    Command("validate-data", "check the raw tables", step=True, job_task=True),
    Command("features", "build the feature snapshots", step=True, job_task=True),
    Command("train", "tune and register a challenger", step=True, job_task=True),
    Command("validate", "gate the challenger against the champion", step=True, job_task=True),
    Command("deploy", "promote a challenger that passed the gate", step=True, job_task=True),
    Command("infer", "score a date with the champion", step=True, job_task=True),
    Command("deliver", "write the date's worklist and report", step=True, job_task=True),
    Command("rollback", "restore the previous champion", job_task=True),
    Command("verify", "check what a run left"),
    Command("run", "every step, in order", pipeline=False),
    Command("ui", "the MLflow UI over the local store", pipeline=False),
)
STEPS = tuple(command.name for command in COMMANDS if command.step)
OTHERS = tuple(command.name for command in COMMANDS if command.pipeline and not command.step)
TASKS = {command.task: command.name for command in COMMANDS if command.job_task}
