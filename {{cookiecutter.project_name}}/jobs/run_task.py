"""What a Python-script job task runs (serverless compute): one step of the package for one
environment, from the code of the branch the job checked out.

    python jobs/run_task.py TASK --env ENV [--score-date YYYY-MM-DD] [--developer NAME]

A shell, like the notebooks of notebooks/ on classic compute: all logic is in the package
({{ cookiecutter.package_name }}.jobs.run_task), tested with the project.
"""

import sys
from pathlib import Path

# The job checks the repository out; the package is in src/ and the configuration in conf/.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from {{ cookiecutter.package_name }}.jobs import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:], conf_dir=ROOT / "conf")
