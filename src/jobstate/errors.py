"""Domain errors. The store turns DynamoDB failures into these; the API maps them to HTTP."""

from __future__ import annotations

from jobstate.lifecycle.states import JobStatus


class JobStateError(Exception):
    """Base class of every error jobstate raises on purpose."""

    code = "JOBSTATE_ERROR"


class JobNotFoundError(JobStateError):
    code = "JOB_NOT_FOUND"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} not found")
        self.job_id = job_id


class ChunkNotFoundError(JobStateError):
    code = "CHUNK_NOT_FOUND"

    def __init__(self, job_id: str, chunk_index: int) -> None:
        super().__init__(f"chunk {chunk_index} of job {job_id} not found")
        self.job_id = job_id
        self.chunk_index = chunk_index


class IllegalTransitionError(JobStateError):
    """The graph has no such edge, or the caller's role may not take it."""

    code = "ILLEGAL_TRANSITION"

    def __init__(
        self, source: JobStatus, target: JobStatus, allowed: list[JobStatus], why: str = ""
    ) -> None:
        names = ", ".join(allowed) or "none"
        detail = f" ({why})" if why else ""
        super().__init__(f"cannot move from {source} to {target}{detail}; allowed: {names}")
        self.source = source
        self.target = target
        self.allowed = allowed


class StaleStateError(JobStateError):
    """The job is no longer in the state (or version) the caller expected."""

    code = "STALE_STATE"

    def __init__(
        self, job_id: str, expected: JobStatus, current: JobStatus, current_version: int
    ) -> None:
        super().__init__(f"job {job_id} is {current} (version {current_version}), not {expected}")
        self.job_id = job_id
        self.expected = expected
        self.current = current
        self.current_version = current_version


class QuotaExceededError(JobStateError):
    code = "QUOTA_EXCEEDED"

    def __init__(self, user_id: str, limit: int) -> None:
        super().__init__(f"user {user_id} already has {limit} active jobs, the most allowed")
        self.user_id = user_id
        self.limit = limit


class InvalidRequestError(JobStateError):
    """A request that is well-formed JSON but breaks a rule no schema can express."""

    code = "INVALID_REQUEST"


class ChunksAlreadyRegisteredError(JobStateError):
    code = "CHUNKS_ALREADY_REGISTERED"


class StoreUnavailableError(JobStateError):
    """DynamoDB kept refusing (throttling, conflicts) after every retry."""

    code = "STORE_UNAVAILABLE"
