"""ChunkProgressAggregator: a job's progress from the counters on its item, never a chunk scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobstate.config import Settings
from jobstate.models import ChunkStatusRecord, JobProgressResponse, utc_now
from jobstate.service.views import build_progress
from jobstate.store.manager import Clock, JobStateManager

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class ChunkProgressAggregator:
    def __init__(
        self,
        *,
        table_name: str | None = None,
        client: DynamoDBClient | None = None,
        settings: Settings | None = None,
        manager: JobStateManager | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.manager = manager or JobStateManager(
            table_name=table_name, client=client, settings=settings, clock=clock
        )
        self._clock = clock

    def aggregate_job_progress(self, job_id: str) -> JobProgressResponse:
        """One GetItem, however many chunks the job has."""
        job = self.manager.require_job(job_id)
        return build_progress(job, self._clock())

    def get_job_chunks(self, job_id: str) -> list[ChunkStatusRecord]:
        """Every chunk of the job in index order (a paged Query; for reports and repair)."""
        chunks, _ = self.manager.query_chunks(job_id)
        return chunks
