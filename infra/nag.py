"""Acknowledging a cdk-nag finding: always on one construct, always with a reviewer's reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, *, id: str, reason: str) -> None:
    """Accept the finding `id` on `scope` and its children, recording why it is acceptable."""
    Validations.of(scope).acknowledge(Acknowledgment(id=id, reason=reason))
