"""Fixtures for tests against moto's DynamoDB server: a manager and service on a fresh table."""

from __future__ import annotations

import pytest

from jobstate import (
    ChunkSpec,
    JobStateManager,
    JobStatus,
    StateTransitionContext,
    TranslationJobService,
)
from jobstate.config import Settings

S = JobStatus
TO_CHUNKING = [
    (S.CREATED, S.VALIDATING),
    (S.VALIDATING, S.VALIDATED),
    (S.VALIDATED, S.QUEUED),
    (S.QUEUED, S.CHUNKING),
]


@pytest.fixture
def manager(table_name: str) -> JobStateManager:
    return JobStateManager()


@pytest.fixture
def service(manager: JobStateManager) -> TranslationJobService:
    return TranslationJobService(manager=manager)


def system(reason: str = "pipeline") -> StateTransitionContext:
    return StateTransitionContext(reason=reason)


def advance(manager: JobStateManager, job_id: str, path: list[tuple[S, S]]) -> None:
    for source, target in path:
        manager.transition_job_state(job_id, source, target, system())


def start_translation(manager: JobStateManager, job_id: str, chunks: int) -> None:
    """Take a CREATED job to TRANSLATING with `chunks` registered chunks."""
    advance(manager, job_id, TO_CHUNKING)
    manager.register_chunks(job_id, [ChunkSpec(index=i, token_count=500) for i in range(chunks)])
    advance(manager, job_id, [(S.CHUNKING, S.CHUNKED), (S.CHUNKED, S.TRANSLATING)])


def settings_with(**overrides: object) -> Settings:
    return Settings.from_env().model_copy(update=overrides)
