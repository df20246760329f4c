"""Builds the CDK app: the jobstate stack of the environment named in the context, cdk-nag on."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.environments import ENVIRONMENT_CONTEXT_KEY, ENVIRONMENTS, environment_named
from infra.stack import JobStateStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
ALLOW_MISSING_CONTEXT_KEY = "allowMissingHandlers"


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text()).get("context", {})
    return context


def build_app(
    outdir: str | None = None,
    context: dict[str, Any] | None = None,
    *,
    environments: Sequence[str] | None = None,
    nag: bool = True,
) -> tuple[App, list[JobStateStack]]:
    """The app and its stacks: the context's environment, or each of `environments`.

    Run by the CDK CLI, the context comes from the CLI (cdk.json and `-c`); run directly, it
    is read from cdk.json here.
    """
    if context is None and "CDK_CONTEXT_JSON" not in os.environ:
        context = cdk_json_context()
    app = App(outdir=outdir, context=context)
    names = environments or [app.node.try_get_context(ENVIRONMENT_CONTEXT_KEY) or "dev"]
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    stacks = []
    for name in names:
        config = environment_named(name)
        stacks.append(
            JobStateStack(
                app,
                f"jobstate-{config.name}",
                config=config,
                description=f"jobstate: translation job state management ({config.name})",
                env=Environment(account=account, region=region) if account and region else None,
                termination_protection=config.protect_data,
            )
        )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stacks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--all-environments",
        action="store_true",
        help="synthesize every environment's stack into one assembly (for checking, not deploying)",
    )
    args = parser.parse_args(argv)
    environments = list(ENVIRONMENTS) if args.all_environments else None
    app, stacks = build_app(
        outdir=os.environ.get("CDK_OUTDIR") or "cdk.out", environments=environments
    )
    # cdk-nag runs as a validation plugin here: an unacknowledged finding fails the synth.
    app.synth()
    missing = sorted({name for stack in stacks for name in stack.missing})
    if missing and app.node.try_get_context(ALLOW_MISSING_CONTEXT_KEY) not in (True, "true"):
        print("not deployable, missing from the tree: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0
