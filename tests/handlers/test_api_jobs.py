"""The API handler on REST proxy events: creation, reading, polling, control, errors."""

from __future__ import annotations

import math

import pytest

from jobstate import JobStateManager, JobStatus, TranslationJobService
from jobstate.handlers.api import MAX_BODY_BYTES
from jobstate.lifecycle.estimates import PRICE_PER_1K_TOKENS, TOKENS_PER_WORD, WORDS_PER_CHUNK
from jobstate.lifecycle.states import QualityLevel
from tests.handlers.events import TO_QUEUED, advance, call, create, document
from tests.support import counting

S = JobStatus


# ------------------------------------------------------------------------------- creation


def test_create_answers_201_with_location_and_the_documented_estimate(
    jobs: TranslationJobService,
) -> None:
    reply = call("POST", "/jobs", body=document())

    assert reply.status == 201, reply.text
    body = reply.body
    assert reply.headers["Location"] == f"/jobs/{body['jobId']}"
    assert body["status"] == "CREATED"
    assert body["chunkCount"] == math.ceil(3000 / WORDS_PER_CHUNK)
    price_in, price_out = PRICE_PER_1K_TOKENS[QualityLevel.STANDARD]
    expected_cost = 3000 * TOKENS_PER_WORD / 1000 * (price_in + price_out)
    assert body["estimatedCost"] == pytest.approx(expected_cost)
    assert body["progressTrackingUrl"] == f"/jobs/{body['jobId']}/progress"
    assert jobs.get_job(body["jobId"]).user_id == "alice"


def test_user_id_in_the_body_must_be_the_caller(jobs: TranslationJobService) -> None:
    assert call("POST", "/jobs", body=document(userId="alice")).status == 201
    refused = call("POST", "/jobs", body=document(userId="bob", documentId="doc-2"))
    assert refused.status == 403
    assert refused.error_code == "FORBIDDEN"


def test_no_identity_is_401(jobs: TranslationJobService) -> None:
    reply = call("GET", "/jobs/user/alice", user=None)
    assert reply.status == 401
    assert reply.error_code == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (document(surprise=1), "body.surprise"),
        (document(targetLanguage="Spanish!"), "body.targetLanguage"),
        (
            document(
                documentMetadata={"wordCount": 0, "fileSize": 1, "contentHash": "sha256:ab12"}
            ),
            "body.documentMetadata.wordCount",
        ),
        (document(filename="x" * 256), "body.filename"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    jobs: TranslationJobService, body: dict[str, object], field: str
) -> None:
    reply = call("POST", "/jobs", body=body)
    assert reply.status == 422, reply.text
    assert reply.error_code == "INVALID_FIELDS"
    assert field in [d["field"] for d in reply.body["error"]["details"]]


def test_malformed_json_is_400_and_too_large_is_413(jobs: TranslationJobService) -> None:
    malformed = call("POST", "/jobs", raw_body='{"documentId": ')
    assert malformed.status == 400
    assert malformed.error_code == "MALFORMED_REQUEST"

    large = call("POST", "/jobs", raw_body="x" * (MAX_BODY_BYTES + 1))
    assert large.status == 413
    assert large.error_code == "PAYLOAD_TOO_LARGE"


def test_a_form_body_is_415(jobs: TranslationJobService) -> None:
    reply = call(
        "POST",
        "/jobs",
        raw_body="a=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 415


def test_quota_is_429(jobs: TranslationJobService) -> None:
    jobs.settings.max_active_jobs_per_user = 2
    create(documentId="doc-a")
    create(documentId="doc-b")

    reply = call("POST", "/jobs", body=document(documentId="doc-c"))

    assert reply.status == 429
    assert reply.error_code == "QUOTA_EXCEEDED"
    assert reply.body["error"]["details"] == [{"limit": 2}]


# --------------------------------------------------------------------------- idempotency


def test_same_key_and_body_return_the_same_job(jobs: TranslationJobService) -> None:
    key = {"Idempotency-Key": "key-0001"}
    first = call("POST", "/jobs", body=document(), headers=key)
    again = call("POST", "/jobs", body=document(), headers=key)

    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = call("GET", "/jobs/user/alice").body
    assert listed["totalCount"] == 1


def test_same_key_with_another_body_is_422(jobs: TranslationJobService) -> None:
    key = {"Idempotency-Key": "key-0002"}
    assert call("POST", "/jobs", body=document(), headers=key).status == 201
    reply = call("POST", "/jobs", body=document(targetLanguage="fr"), headers=key)
    assert reply.status == 422
    assert reply.error_code == "IDEMPOTENCY_KEY_REUSED"


def test_keys_are_per_user(jobs: TranslationJobService) -> None:
    key = {"Idempotency-Key": "shared-key"}
    alice = call("POST", "/jobs", body=document(), headers=key)
    bob = call("POST", "/jobs", user="bob", body=document(), headers=key)
    assert alice.status == bob.status == 201
    assert alice.body["jobId"] != bob.body["jobId"]


def test_a_refused_creation_frees_its_key(jobs: TranslationJobService) -> None:
    jobs.settings.max_active_jobs_per_user = 1
    first = create(documentId="doc-a")
    key = {"Idempotency-Key": "key-0003"}
    assert call("POST", "/jobs", body=document(documentId="doc-b"), headers=key).status == 429

    call("POST", f"/jobs/{first}/cancel")
    retried = call("POST", "/jobs", body=document(documentId="doc-b"), headers=key)

    assert retried.status == 201, retried.text
    assert "Idempotent-Replayed" not in retried.headers


def test_an_active_duplicate_without_a_key_is_409_naming_it(jobs: TranslationJobService) -> None:
    first = create()
    reply = call("POST", "/jobs", body=document())

    assert reply.status == 409
    assert reply.error_code == "DUPLICATE_JOB"
    assert reply.body["error"]["details"] == [{"jobId": first}]
    # Another language, another document or another user is not a duplicate.
    assert call("POST", "/jobs", body=document(targetLanguage="fr")).status == 201
    assert call("POST", "/jobs", user="bob", body=document()).status == 201

    call("POST", f"/jobs/{first}/cancel")
    assert call("POST", "/jobs", body=document()).status == 201


# ------------------------------------------------------------------------------- reading


def test_details_history_and_etag(jobs: TranslationJobService) -> None:
    job_id = create()
    details = call("GET", f"/jobs/{job_id}")

    assert details.status == 200
    assert details.body["userId"] == "alice"
    assert details.body["chunks"] == []
    assert details.headers["ETag"] == '"details-1"'
    assert details.headers["Cache-Control"].startswith("private, max-age=")
    not_modified = call("GET", f"/jobs/{job_id}", headers={"If-None-Match": '"details-1"'})
    assert not_modified.status == 304
    assert not_modified.text == ""

    call("POST", f"/jobs/{job_id}/cancel")
    history = call("GET", f"/jobs/{job_id}/history").body["history"]
    assert [(h["from"], h["to"], h["version"]) for h in history] == [
        (None, "CREATED", 1),
        ("CREATED", "CANCELLED", 2),
    ]
    assert history[1]["actor"] == "alice"
    assert history[1]["reason"] == "cancel requested"
    assert call("GET", f"/jobs/{job_id}", headers={"If-None-Match": '"details-1"'}).status == 200


def test_progress_poll_is_one_get_item_and_304_when_unchanged(
    jobs: TranslationJobService, manager: JobStateManager
) -> None:
    job_id = create()
    with counting(manager.client) as counter:
        reply = call("GET", f"/jobs/{job_id}/progress")
    assert counter.calls == {"GetItem": 1}

    assert reply.status == 200
    assert reply.body["status"] == "CREATED"
    tag = reply.headers["ETag"]
    assert tag == '"progress-1"'
    assert reply.headers["Cache-Control"].startswith("private")
    assert int(reply.headers["Retry-After"]) > 0

    assert call("GET", f"/jobs/{job_id}/progress", headers={"If-None-Match": tag}).status == 304
    advance(manager, job_id, TO_QUEUED)
    moved = call("GET", f"/jobs/{job_id}/progress", headers={"If-None-Match": tag})
    assert moved.status == 200
    assert moved.headers["ETag"] == '"progress-4"'
    assert moved.headers["Retry-After"] == "30"  # slow while queued


# ------------------------------------------------------------------------------- control


def test_pause_resume_and_illegal_moves(
    jobs: TranslationJobService, manager: JobStateManager
) -> None:
    job_id = create()
    refused = call("POST", f"/jobs/{job_id}/pause")
    assert refused.status == 409
    assert refused.body["error"]["details"][0]["allowedTargets"] == ["CANCELLED"]

    advance(manager, job_id, TO_QUEUED)
    paused = call("POST", f"/jobs/{job_id}/pause")
    assert paused.status == 200
    assert paused.body["status"] == "PAUSED"
    assert call("POST", f"/jobs/{job_id}/pause").body["status"] == "PAUSED"  # a repeat is a no-op
    assert call("POST", f"/jobs/{job_id}/resume").body["status"] == "RESUMING"


def test_retry_a_failed_job(jobs: TranslationJobService, manager: JobStateManager) -> None:
    job_id = create()
    assert call("POST", f"/jobs/{job_id}/retry").status == 409
    advance(manager, job_id, [(S.CREATED, S.FAILED)])
    retried = call("POST", f"/jobs/{job_id}/retry")
    assert retried.status == 200
    assert retried.body["status"] == "RETRYING"


def test_patch_status_is_for_operators_along_the_graph(jobs: TranslationJobService) -> None:
    job_id = create()
    body = {"status": "VALIDATING", "reason": "manual kick"}

    owner = call("PATCH", f"/jobs/{job_id}/status", body=body)
    assert owner.status == 403

    moved = call("PATCH", f"/jobs/{job_id}/status", user="ops", operator=True, body=body)
    assert moved.status == 200, moved.text
    assert moved.body["status"] == "VALIDATING"

    off_graph = {"status": "COMPLETED", "reason": "skip ahead"}
    refused = call("PATCH", f"/jobs/{job_id}/status", user="ops", operator=True, body=off_graph)
    assert refused.status == 409
    assert "FAILED" in refused.body["error"]["details"][0]["allowedTargets"]

    no_reason = call(
        "PATCH", f"/jobs/{job_id}/status", user="ops", operator=True, body={"status": "FAILED"}
    )
    assert no_reason.status == 422
    history = call("GET", f"/jobs/{job_id}/history", user="ops", operator=True).body["history"]
    assert history[-1]["actor"] == "ops"
    assert history[-1]["role"] == "OPERATOR"


def test_operators_see_every_job(jobs: TranslationJobService) -> None:
    job_id = create()
    assert call("GET", f"/jobs/{job_id}", user="ops", operator=True).status == 200
    assert call("POST", f"/jobs/{job_id}/cancel", user="ops", operator=True).status == 200
    assert call("GET", "/jobs/user/alice", user="ops", operator=True).body["totalCount"] == 1


def test_unknown_route_is_a_404_envelope(jobs: TranslationJobService) -> None:
    reply = call("GET", "/nowhere")
    assert reply.status == 404
    assert reply.error_code == "ROUTE_NOT_FOUND"


def test_patch_status_with_if_match_moves_only_the_version_seen(
    jobs: TranslationJobService,
) -> None:
    job_id = create()
    seen = call("GET", f"/jobs/{job_id}/progress", user="ops", operator=True).headers["ETag"]
    body = {"status": "VALIDATING", "reason": "manual kick"}
    moved = call(
        "PATCH",
        f"/jobs/{job_id}/status",
        user="ops",
        operator=True,
        body=body,
        headers={"If-Match": seen},
    )
    assert moved.status == 200, moved.text
    again = {"status": "FAILED", "reason": "stale view"}
    stale = call(
        "PATCH",
        f"/jobs/{job_id}/status",
        user="ops",
        operator=True,
        body=again,
        headers={"If-Match": seen},
    )
    assert stale.status == 409
    assert stale.body["error"]["code"] == "STALE_STATE"
    foreign = call(
        "PATCH",
        f"/jobs/{job_id}/status",
        user="ops",
        operator=True,
        body=again,
        headers={"If-Match": '"not-ours"'},
    )
    assert foreign.status == 400
