"""The public API: every class builds with no arguments from the environment, or explicitly."""

from __future__ import annotations

import boto3

import jobstate
from jobstate import (
    ChunkProgressAggregator,
    JobErrorRecovery,
    JobStateManager,
    TranslationJobService,
)
from tests.support import create_request


def test_classes_configure_themselves_from_the_environment(table_name: str) -> None:
    job_id = TranslationJobService().create_job(create_request()).job_id
    assert JobStateManager().get_job(job_id) is not None
    assert ChunkProgressAggregator().aggregate_job_progress(job_id).job_id == job_id
    assert JobErrorRecovery().manager.table == table_name


def test_classes_take_a_table_and_a_client(table_name: str) -> None:
    client = boto3.client("dynamodb")
    service = TranslationJobService(table_name=table_name, client=client)
    job_id = service.create_job(create_request()).job_id
    manager = JobStateManager(table_name=table_name, client=client)
    assert manager.client is client
    assert (
        ChunkProgressAggregator(table_name=table_name, client=client).get_job_chunks(job_id) == []
    )
    assert JobErrorRecovery(table_name=table_name, client=client).manager.client is client


def test_the_package_exports_the_design_names() -> None:
    for name in (
        "JobStateManager",
        "ChunkProgressAggregator",
        "JobErrorRecovery",
        "TranslationJobService",
        "JobStatus",
        "ChunkStatus",
        "CreateJobRequest",
        "CreateJobResponse",
        "JobProgressResponse",
        "JobDetailsResponse",
        "UserJobsRequest",
        "UserJobsResponse",
        "StateTransitionContext",
        "ChunkSpec",
        "ChunkStatusUpdate",
        "TranslationJobRecord",
        "ChunkStatusRecord",
        "JobHistoryItem",
    ):
        assert hasattr(jobstate, name), name
