"""Labels that say where a sandbox came from: the create request, and the CI run behind it."""

from __future__ import annotations

from collections.abc import Mapping

REQUEST_ID_LABEL = "daytona-cli/request-id"
"""Every create carries this label, so that what an uncertain create made can be found."""
CI_LABEL = "daytona-cli/ci"
RUN_LABEL = "daytona-cli/run"

# (provider, variable that proves it, variable holding the run ID), first match wins.
_PROVIDERS = (
    ("github-actions", "GITHUB_ACTIONS", "GITHUB_RUN_ID"),
    ("gitlab", "GITLAB_CI", "CI_PIPELINE_ID"),
    ("buildkite", "BUILDKITE", "BUILDKITE_BUILD_ID"),
    ("circleci", "CIRCLECI", "CIRCLE_WORKFLOW_ID"),
    ("jenkins", "JENKINS_URL", "BUILD_TAG"),
    ("azure-pipelines", "TF_BUILD", "BUILD_BUILDID"),
    ("travis", "TRAVIS", "TRAVIS_BUILD_ID"),
)


def provenance_labels(environ: Mapping[str, str]) -> dict[str, str]:
    """``daytona-cli/ci`` and ``daytona-cli/run`` when running under CI, else nothing."""
    if not environ.get("CI") and not any(environ.get(marker) for _, marker, _ in _PROVIDERS):
        return {}
    for provider, marker, run_variable in _PROVIDERS:
        if environ.get(marker):
            labels = {CI_LABEL: provider}
            run_id = environ.get(run_variable)
            if run_id:
                labels[RUN_LABEL] = run_id
            return labels
    return {CI_LABEL: "unknown"}
