"""Queue and stall reads on the JobsByStatus index: position, capacity, next jobs, stale jobs.

The index key is `STATUS#<status>` / `PRIORITY#<rank>#CREATED#<at>#<jobId>`, so reading a status
partition in key order yields the highest priority first and, within it, the oldest first.
"""

from __future__ import annotations

from datetime import datetime
from itertools import islice

from jobstate.lifecycle.states import JobStatus
from jobstate.models import TranslationJobRecord, format_timestamp
from jobstate.store import keys
from jobstate.store.manager import JobStateManager
from jobstate.store.schema import JOBS_BY_STATUS

# States of a job that has left the queue and not yet settled: each one holds a slot. A paused
# job gives its slot up; resuming it does not wait for one again.
CAPACITY_STATES: tuple[JobStatus, ...] = (
    JobStatus.CHUNKING,
    JobStatus.CHUNKED,
    JobStatus.TRANSLATING,
    JobStatus.RATE_LIMITED,
    JobStatus.RETRYING,
    JobStatus.RECOVERING,
    JobStatus.RESUMING,
    JobStatus.ASSEMBLING,
    JobStatus.FINALIZING,
)


def _partition(status: JobStatus) -> dict[str, str]:
    return {":pk": f"STATUS#{status}"}


class JobQueue:
    def __init__(self, manager: JobStateManager) -> None:
        self.manager = manager

    def position(self, job: TranslationJobRecord) -> int:
        """1 for the job that starts next; counts the queued jobs whose key sorts before it."""
        own = keys.status_index_keys(
            JobStatus.QUEUED, job.priority, format_timestamp(job.created_at), job.job_id
        )["GSI2SK"]
        ahead = self.manager.count_index(
            JOBS_BY_STATUS.name,
            "GSI2PK = :pk AND GSI2SK < :own",
            {**_partition(JobStatus.QUEUED), ":own": own},
        )
        return ahead + 1

    def next_jobs(self, limit: int) -> list[str]:
        """The ids of the `limit` queued jobs that start first."""
        if limit <= 0:
            return []
        results = self.manager.query_index(
            JOBS_BY_STATUS.name, "GSI2PK = :pk", _partition(JobStatus.QUEUED)
        )
        queued = (job.job_id for job, _ in results if job.status == JobStatus.QUEUED)
        return list(islice(queued, limit))

    def running_count(self, up_to: int | None = None) -> int:
        """Jobs holding a slot: one COUNT query per capacity state, stopping once `up_to` is
        reached (the caller only needs to know there is no slot)."""
        total = 0
        for status in CAPACITY_STATES:
            total += self.manager.count_index(
                JOBS_BY_STATUS.name, "GSI2PK = :pk", _partition(status)
            )
            if up_to is not None and total >= up_to:
                break
        return total

    def stale_jobs(
        self, status: JobStatus, idle_since: datetime, limit: int = 100
    ) -> list[TranslationJobRecord]:
        """Jobs in `status` whose last activity was before `idle_since`."""
        # Last activity changes on every write, so the index does not carry it (a write that
        # changed it would rewrite the index entry too): it is checked on the fetched items.
        results = self.manager.query_index(JOBS_BY_STATUS.name, "GSI2PK = :pk", _partition(status))
        # The fetched item is the truth: an index entry can trail a job that has moved on.
        stale = (
            job for job, _ in results if job.status == status and job.last_activity_at < idle_since
        )
        return list(islice(stale, limit))
