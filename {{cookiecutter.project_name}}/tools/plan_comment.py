"""The Terraform plan `make tf-plan` saved, where reviewers read it.

`post` puts it on the pull request as one comment, found again by a hidden marker and updated on
each push rather than posted anew: on GitHub an issue comment of the pull request, on Azure DevOps
a pull-request thread, each through the platform's REST API with the job's own token. `summary`
writes the same text to the run's summary page (GitHub: $GITHUB_STEP_SUMMARY; Azure DevOps: a
markdown file the agent attaches to the run).

    python tools/plan_comment.py post --platform github --environment staging \
        --plan terraform/envs/staging/tfplan.txt

Standard library only: CI runs it before (or without) the project's virtualenv. Errors are one
line: exit 2 for what the caller must set (an environment variable, the plan file), exit 1 for a
refused or failed HTTP call (its status and URL).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import quote

# Platform limits on a comment's length: GitHub refuses a body over 65,536 characters, Azure
# DevOps one over 150,000. Measured in UTF-8 bytes here, which is never fewer than characters.
LIMITS = {"github": 65_536, "azure_devops": 150_000}
SUMMARY_LIMIT = 1_000_000  # GitHub keeps at most 1 MiB of one step's summary
TIMEOUT_SECONDS = 30
ADO_API_VERSION = "7.1"
PLAN_LINE = re.compile(r"^(Plan: \d+ to .*)$", re.MULTILINE)


class PlanCommentError(Exception):
    """A one-line error for the CI log, with the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def marker(environment: str) -> str:
    """The hidden first line that makes a comment this environment's plan comment."""
    return f"<!-- terraform-plan:{environment} -->"


def summary_line(plan: str) -> str:
    """Terraform's one-line summary of the plan ("Plan: 1 to add, ..."), or what stands for it."""
    found = PLAN_LINE.search(plan)
    if found:
        return found.group(1).strip()
    if re.search(r"^No changes\.", plan, re.MULTILINE):
        return "No changes."
    if re.search(r"^Changes to Outputs:", plan, re.MULTILINE):
        return "Only outputs change."
    return "No summary line in the plan: read it below."


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def render(
    plan: str,
    environment: str,
    limit: int,
    artifact: str,
    run_url: str | None = None,
    commit: str | None = None,
    comment: bool = True,
) -> str:
    """The comment (or summary page): marker, the plan's summary line, where it came from, then
    the plan itself, cut at a line boundary (with a note naming the artifact) to fit `limit`."""
    run = f"[this run]({run_url})" if run_url else "this run"
    origin = f"For commit `{commit[:12]}`, planned by {run}." if commit else f"Planned by {run}."
    head = (
        f"{marker(environment)}\n"
        f"### Terraform plan: {environment}\n\n"
        f"**{summary_line(plan)}**\n\n"
        f"{origin} The whole plan is the artifact `{artifact}` of {run}"
        + ("; this comment is updated on every push.\n\n" if comment else ".\n\n")
    )
    lines = plan.rstrip("\n").split("\n")
    fence = _fence(plan)

    def body(shown: list[str], note: str) -> str:
        return f"{head}{fence}text\n" + "".join(f"{line}\n" for line in shown) + f"{fence}\n{note}"

    whole = body(lines, "")
    if _size(whole) <= limit:
        return whole

    def note(shown: int) -> str:
        return (
            f"\n**Truncated**: the first {shown} of {len(lines)} lines (at most {limit:,} "
            f"characters fit here). The whole plan is the artifact `{artifact}` of {run}.\n"
        )

    budget = limit - _size(body([], note(len(lines))))
    shown: list[str] = []
    for line in lines:
        cost = _size(line) + 1
        if cost > budget:
            if not shown:  # one enormous line: keep what fits of it
                shown.append(line.encode("utf-8")[: max(budget - 1, 0)].decode("utf-8", "ignore"))
            break
        shown.append(line)
        budget -= cost
    return body(shown, note(len(shown)))


def _require(env: dict[str, str], name: str, why: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise PlanCommentError(f"{name} is not set: {why}", 2)
    return value


def _call(method: str, url: str, token: str, body: dict | None = None) -> tuple[object, Message]:
    """One JSON request: (parsed answer, its headers); an error (exit 1) names status and URL."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", "plan-comment")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read()
            headers = response.headers  # case-insensitive lookups
    except urllib.error.HTTPError as error:
        raise PlanCommentError(
            f"{method} {url}: HTTP {error.code} {error.reason}{_detail(error)}", 1
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PlanCommentError(f"{method} {url}: no answer ({reason})", 1) from None
    try:
        return (json.loads(raw) if raw else None), headers
    except ValueError:
        raise PlanCommentError(f"{method} {url}: the answer is not JSON", 1) from None


def _detail(error: urllib.error.HTTPError) -> str:
    """The platform's own message, shortened, and what a refusal usually means."""
    try:
        message = str(json.loads(error.read()).get("message", "")).strip()
    except (ValueError, AttributeError, OSError):
        message = ""
    text = f": {message[:300]}" if message else ""
    if error.code in (401, 403, 404):
        text += " (does the job's token have permission to comment on pull requests?)"
    return text


class GitHub:
    """Issue comments of a pull request: GET/POST /repos/{repo}/issues/{n}/comments, PATCH
    /repos/{repo}/issues/comments/{id}."""

    def __init__(self, env: dict[str, str], pull_request: str | None) -> None:
        self.api = env.get("GITHUB_API_URL", "").strip().rstrip("/") or "https://api.github.com"
        self.repo = _require(env, "GITHUB_REPOSITORY", "owner/name of the repository")
        self.token = _require(env, "GITHUB_TOKEN", "map it in the step from github.token")
        event = self._event(env) if not pull_request else {}
        self.number = pull_request or str(event.get("pull_request", {}).get("number", ""))
        if not self.number:
            raise PlanCommentError(
                "GITHUB_EVENT_PATH holds no pull request: run on pull_request", 2
            )
        server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
        run_id = env.get("GITHUB_RUN_ID", "")
        self.run_url = f"{server}/{self.repo}/actions/runs/{run_id}" if server and run_id else None
        self.commit = event.get("pull_request", {}).get("head", {}).get("sha")

    @staticmethod
    def _event(env: dict[str, str]) -> dict:
        path = _require(env, "GITHUB_EVENT_PATH", "the pull_request event (or pass --pr)")
        try:
            return json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise PlanCommentError(
                f"GITHUB_EVENT_PATH ({path}) cannot be read: {error}", 2
            ) from None

    def find(self, mark: str) -> str | None:
        """The id of the first comment whose body starts with `mark`, through every page."""
        url: str | None = f"{self.api}/repos/{self.repo}/issues/{self.number}/comments?per_page=100"
        while url:
            comments, headers = _call("GET", url, self.token)
            for comment in comments or []:
                if str(comment.get("body") or "").startswith(mark):
                    return str(comment["id"])
            url = _next_page(headers.get("Link", ""))
        return None

    def create(self, body: str) -> str:
        url = f"{self.api}/repos/{self.repo}/issues/{self.number}/comments"
        return str(_call("POST", url, self.token, {"body": body})[0]["id"])

    def update(self, comment: str, body: str) -> str:
        url = f"{self.api}/repos/{self.repo}/issues/comments/{comment}"
        _call("PATCH", url, self.token, {"body": body})
        return comment


def _next_page(link: str) -> str | None:
    """The rel="next" URL of an RFC 8288 Link header, as GitHub paginates."""
    for part in link.split(","):
        found = re.match(r'\s*<([^>]+)>\s*;.*\brel="?next"?', part)
        if found:
            return found.group(1)
    return None


class AzureDevOps:
    """Threads of a pull request: GET/POST .../pullRequests/{id}/threads, PATCH
    .../threads/{thread}/comments/{comment} (api-version 7.1)."""

    def __init__(self, env: dict[str, str], pull_request: str | None) -> None:
        collection = _require(env, "SYSTEM_COLLECTIONURI", "the organisation's URL").rstrip("/")
        project = _require(env, "SYSTEM_TEAMPROJECTID", "the project of the pipeline")
        repository = _require(env, "BUILD_REPOSITORY_ID", "the repository of the pull request")
        self.number = pull_request or _require(
            env, "SYSTEM_PULLREQUEST_PULLREQUESTID", "run on a pull request (or pass --pr)"
        )
        self.token = _require(
            env,
            "SYSTEM_ACCESSTOKEN",
            "map it in the step: SYSTEM_ACCESSTOKEN: $(System.AccessToken)",
        )
        self.threads = (
            f"{collection}/{project}/_apis/git/repositories/{repository}"
            f"/pullRequests/{self.number}/threads"
        )
        build = env.get("BUILD_BUILDID", "")
        name = quote(env.get("SYSTEM_TEAMPROJECT") or project)
        self.run_url = (
            f"{collection}/{name}/_build/results?buildId={build}&view=artifacts" if build else None
        )
        self.commit = env.get("SYSTEM_PULLREQUEST_SOURCECOMMITID") or None

    def _url(self, path: str = "") -> str:
        return f"{self.threads}{path}?api-version={ADO_API_VERSION}"

    def find(self, mark: str) -> str | None:
        """The id ("<thread>/<comment>") of the first live comment starting with `mark`."""
        threads, _ = _call("GET", self._url(), self.token)
        for thread in (threads or {}).get("value", []):
            if thread.get("isDeleted"):
                continue
            for comment in thread.get("comments", []):
                content = str(comment.get("content") or "")
                if not comment.get("isDeleted") and content.startswith(mark):
                    return f"{thread['id']}/{comment['id']}"
        return None

    def create(self, body: str) -> str:
        # An active thread, shown open on the pull request's overview; a reviewer resolves it
        # once read (it counts under a "comments must be resolved" policy).
        thread = {
            "comments": [{"parentCommentId": 0, "content": body, "commentType": "text"}],
            "status": "active",
        }
        created, _ = _call("POST", self._url(), self.token, thread)
        return f"{created['id']}/{created['comments'][0]['id']}"

    def update(self, comment: str, body: str) -> str:
        thread, comment_id = comment.split("/")
        _call("PATCH", self._url(f"/{thread}/comments/{comment_id}"), self.token, {"content": body})
        return comment


PLATFORMS = {"github": GitHub, "azure_devops": AzureDevOps}
ALIASES = {"github_actions": "github"}  # the cicd_platform answer of the template


def post(client: GitHub | AzureDevOps, environment: str, body: str) -> tuple[str, str]:
    """Update this environment's plan comment if the pull request has one, else create it:
    ("updated" | "created", its id)."""
    existing = client.find(marker(environment))
    if existing:
        return "updated", client.update(existing, body)
    return "created", client.create(body)


def _read_plan(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        raise PlanCommentError(f"{path} cannot be read: run `make tf-plan` first", 2) from None


def _summary(platform: str, env: dict[str, str], text: str, plan_path: Path) -> str:
    """Append to the run's summary page; the message for the log."""
    if platform == "github":
        target = Path(_require(env, "GITHUB_STEP_SUMMARY", "run inside a GitHub Actions job"))
        with target.open("a", encoding="utf-8") as summary:
            summary.write(text + "\n")
        return f"Wrote the plan to the job summary ({target})"
    target = plan_path.with_suffix(".md")
    target.write_text(text + "\n", encoding="utf-8")
    # the agent attaches a markdown file named this way to the run's summary page
    return f"##vso[task.uploadsummary]{target.resolve()}"


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=("post", "summary"))
    parser.add_argument("--platform", required=True, choices=sorted([*PLATFORMS, *ALIASES]))
    parser.add_argument("--environment", required=True, help="staging or prod")
    parser.add_argument("--plan", required=True, type=Path, help="terraform show -no-color output")
    parser.add_argument("--artifact", help="the CI artifact with the whole plan")
    parser.add_argument("--pr", help="the pull request (default: the CI's own)")
    args = parser.parse_args(argv)
    platform = ALIASES.get(args.platform, args.platform)
    artifact = args.artifact or f"terraform-plan-{args.environment}"
    try:
        plan = _read_plan(args.plan)
        if args.action == "summary":
            text = render(plan, args.environment, SUMMARY_LIMIT, artifact, comment=False)
            print(_summary(platform, env, text, args.plan))
            return 0
        client = PLATFORMS[platform](env, args.pr)
        limit = LIMITS[platform]
        body = render(plan, args.environment, limit, artifact, client.run_url, client.commit)
        done, comment = post(client, args.environment, body)
        print(
            f"{done.capitalize()} the {args.environment} plan comment ({comment}) on pull "
            f"request {client.number}: {summary_line(plan)}"
        )
        return 0
    except PlanCommentError as error:
        print(f"plan_comment: {error}", file=sys.stderr)
        return error.code


if __name__ == "__main__":
    sys.exit(main())
