"""Creation under concurrency: requests racing with one Idempotency-Key make one job."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from jobstate import TranslationJobService
from jobstate.models import CreateJobRequest, UserJobsRequest
from jobstate.service.creation import JobCreationService
from tests.handlers.events import document

RACERS = 4


def test_racing_retries_with_one_key_create_one_job(jobs: TranslationJobService) -> None:
    creation = JobCreationService(jobs)
    request = CreateJobRequest.model_validate({**document(), "userId": "alice"})
    jobs.manager.client  # noqa: B018 - build the client before the threads share it

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        outcomes = list(
            pool.map(lambda _: creation.create(request, idempotency_key="race-1"), range(RACERS))
        )

    assert len({o.response.job_id for o in outcomes}) == 1
    assert sum(o.created for o in outcomes) == 1
    listed = jobs.list_user_jobs(UserJobsRequest(user_id="alice"))
    assert listed.total_count == 1
    assert jobs.active_jobs("alice") == 1
