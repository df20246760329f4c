"""Key layout of the single table. Job, chunk and history items share the job's partition."""

from __future__ import annotations

from jobstate.lifecycle.states import PRIORITY_RANK, JobStatus, Priority

JOB_SK = "METADATA"
CHUNK_PREFIX = "CHUNK#"
HISTORY_PREFIX = "HISTORY#"
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
CHUNK_INDEX_WIDTH = 7  # holds every index below MAX_CHUNKS_PER_JOB, so keys sort numerically
VERSION_WIDTH = 10


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def job_key(job_id: str) -> dict[str, str]:
    return {"PK": job_pk(job_id), "SK": JOB_SK}


def chunk_sk(index: int) -> str:
    return f"{CHUNK_PREFIX}{index:0{CHUNK_INDEX_WIDTH}d}"


def chunk_id(job_id: str, index: int) -> str:
    return f"{job_id}-C{index:0{CHUNK_INDEX_WIDTH}d}"


def history_sk(version: int) -> str:
    return f"{HISTORY_PREFIX}{version:0{VERSION_WIDTH}d}"


def quota_key(user_id: str) -> dict[str, str]:
    """The per-user item that counts active jobs, so the quota holds under concurrency."""
    return {"PK": f"USER#{user_id}", "SK": "QUOTA"}


def user_index_keys(user_id: str, created_at: str, job_id: str) -> dict[str, str]:
    return {"GSI1PK": f"USER#{user_id}", "GSI1SK": f"CREATED#{created_at}#{job_id}"}


def status_index_keys(
    status: JobStatus, priority: Priority, created_at: str, job_id: str
) -> dict[str, str]:
    rank = PRIORITY_RANK[priority]
    return {
        "GSI2PK": f"STATUS#{status}",
        "GSI2SK": f"PRIORITY#{rank}#CREATED#{created_at}#{job_id}",
    }


def document_index_keys(document_id: str, created_at: str, job_id: str) -> dict[str, str]:
    return {"GSI3PK": f"DOCUMENT#{document_id}", "GSI3SK": f"CREATED#{created_at}#{job_id}"}
