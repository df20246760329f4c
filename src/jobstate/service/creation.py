"""Job creation as the API offers it: once per `Idempotency-Key`, and, without a key, never a
second active job for the same user, document, content and target language."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from jobstate.errors import JobStateError
from jobstate.lifecycle.graph import ACTIVE_STATES
from jobstate.lifecycle.states import JobStatus
from jobstate.models import CreateJobRequest, CreateJobResponse, TranslationJobRecord
from jobstate.observability import logger
from jobstate.service.jobs import TranslationJobService
from jobstate.store.idempotency import IdempotencyRecord, IdempotencyStore
from jobstate.store.manager import new_job_id
from jobstate.store.schema import JOBS_BY_DOCUMENT


class DuplicateJobError(JobStateError):
    code = "DUPLICATE_JOB"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} already translates this document into this language")
        self.job_id = job_id


class IdempotencyKeyReusedError(JobStateError):
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request body")


@dataclass(frozen=True)
class CreationOutcome:
    response: CreateJobResponse
    created: bool  # False when an earlier request with the same key had created the job


def request_fingerprint(request: CreateJobRequest) -> str:
    """A hash of the request as validated, so equal requests match however they were spelled."""
    canonical = json.dumps(
        request.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def creation_response(job: TranslationJobRecord) -> CreateJobResponse:
    """The creation reply rebuilt from the job, for a retry whose first attempt left none."""
    return CreateJobResponse(
        job_id=job.job_id,
        status=JobStatus.CREATED,
        estimated_completion=job.estimated_completion or job.created_at,
        estimated_cost=job.estimated_cost,
        chunk_count=job.estimated_chunks,
        progress_tracking_url=f"/jobs/{job.job_id}/progress",
    )


class JobCreationService:
    def __init__(self, jobs: TranslationJobService, idempotency: IdempotencyStore | None = None):
        self.jobs = jobs
        self.idempotency = idempotency or IdempotencyStore(jobs.manager)

    def create(
        self, request: CreateJobRequest, *, idempotency_key: str | None = None
    ) -> CreationOutcome:
        """Create the job, or return the one an earlier request with the same key created.

        Raises IdempotencyKeyReusedError when the key came with another body, DuplicateJobError
        (keyless requests only) when an equal job is still active, and whatever
        `TranslationJobService.create_job` raises (QuotaExceededError, ...).
        """
        if request.user_id is None:
            raise ValueError("the caller's userId must be filled in before creating a job")
        if idempotency_key is None:
            duplicate = self.find_active_duplicate(request)
            if duplicate is not None:
                raise DuplicateJobError(duplicate)
            return CreationOutcome(self.jobs.create_job(request), created=True)

        fingerprint = request_fingerprint(request)
        record = self.idempotency.reserve(
            request.user_id, idempotency_key, fingerprint, new_job_id()
        )
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReusedError()
        if record.response is not None:
            return CreationOutcome(CreateJobResponse.model_validate(record.response), False)
        existing = self.jobs.manager.get_job(record.job_id)
        if existing is not None:
            return self._replayed(record, existing)
        return self._create_reserved(request, record)

    def _create_reserved(
        self, request: CreateJobRequest, record: IdempotencyRecord
    ) -> CreationOutcome:
        try:
            response = self.jobs.create_job(request, job_id=record.job_id)
        except JobStateError:
            self.idempotency.release(record)
            raise
        except Exception:
            # A concurrent retry with the same key may have written the reserved job first.
            existing = self.jobs.manager.get_job(record.job_id)
            if existing is None:
                raise
            return self._replayed(record, existing)
        self.idempotency.complete(record, response.to_json_dict())
        return CreationOutcome(response, created=True)

    def _replayed(self, record: IdempotencyRecord, job: TranslationJobRecord) -> CreationOutcome:
        response = creation_response(job)
        self.idempotency.complete(record, response.to_json_dict())
        logger.info("creation replayed", extra={"job_id": job.job_id})
        return CreationOutcome(response, created=False)

    def find_active_duplicate(self, request: CreateJobRequest) -> str | None:
        """The id of an active job of this user for the same document, content and language.

        Limitation: the JobsByDocument index is eventually consistent, so two keyless requests
        racing each other can both pass this check; clients that retry should send a key.
        """
        statuses = sorted(ACTIVE_STATES)
        values: dict[str, object] = {
            ":pk": f"DOCUMENT#{request.document_id}",
            ":user": request.user_id,
            ":hash": request.document_metadata.content_hash,
            ":language": request.target_language,
        }
        placeholders = []
        for position, status in enumerate(statuses):
            values[f":s{position}"] = status.value
            placeholders.append(f":s{position}")
        names = {
            "#user": "userId",
            "#hash": "contentHash",
            "#language": "targetLanguage",
            "#status": "status",
        }
        filter_expression = (
            "#user = :user AND #hash = :hash AND #language = :language"
            f" AND #status IN ({', '.join(placeholders)})"
        )
        for job, _ in self.jobs.manager.query_index(
            JOBS_BY_DOCUMENT.name,
            "GSI3PK = :pk",
            dict(values),
            names=names,
            filter_expression=filter_expression,
            forward=False,
        ):
            return job.job_id
        return None
