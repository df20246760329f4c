"""Synthesizes the CDK app once per session (dev and prod stacks in one assembly)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synthesized:
    outdir: Path
    stacks: dict[str, Any]
    templates: dict[str, Any]
    _json: dict[str, dict[str, Any]] = field(default_factory=dict)

    def template(self, env: str) -> dict[str, Any]:
        # Each to_json() is a round trip through jsii; the templates do not change.
        if env not in self._json:
            self._json[env] = self.templates[env].to_json()
        return self._json[env]

    def resources(self, env: str, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource
            for name, resource in self.template(env)["Resources"].items()
            if resource["Type"] == resource_type
        }

    def assets(self, env: str) -> dict[str, Any]:
        manifest = json.loads((self.outdir / f"jobstate-{env}.assets.json").read_text())
        return manifest["files"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    # cdk-nag is left to `make synth`; here the templates themselves are under test.
    app, stacks = build_app(
        outdir=str(outdir), context={"env": "dev"}, environments=["dev", "prod"], nag=False
    )
    # One synth for both stacks; Template.from_stack would synthesize the app once per stack.
    assembly = app.synth()
    templates = {
        stack.config.name: Template.from_json(
            assembly.get_stack_artifact(stack.artifact_id).template
        )
        for stack in stacks
    }
    return Synthesized(outdir, {s.config.name: s for s in stacks}, templates)
