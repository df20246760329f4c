"""Access and paging: another user's job is not found on every route, listings are the caller's,
and cursors are signed, bound to the caller and the filters, and page without gaps or repeats."""

from __future__ import annotations

import pytest

from jobstate import ChunkSpec, JobStateManager, JobStatus, TranslationJobService
from tests.handlers.events import TO_QUEUED, advance, call, create

S = JobStatus
JOB_ROUTES = [
    ("GET", ""),
    ("GET", "/chunks"),
    ("GET", "/progress"),
    ("GET", "/history"),
    ("POST", "/pause"),
    ("POST", "/resume"),
    ("POST", "/cancel"),
    ("POST", "/retry"),
]


@pytest.mark.parametrize(("method", "suffix"), JOB_ROUTES)
def test_another_users_job_is_exactly_like_a_missing_one(
    jobs: TranslationJobService, method: str, suffix: str
) -> None:
    job_id = create()
    missing = "JOB_DOESNOTEXIST00000000000"

    theirs = call(method, f"/jobs/{job_id}{suffix}", user="mallory")
    absent = call(method, f"/jobs/{missing}{suffix}", user="mallory")

    assert theirs.status == absent.status == 404
    assert theirs.error_code == absent.error_code == "JOB_NOT_FOUND"
    assert theirs.text.replace(job_id, "ID") == absent.text.replace(missing, "ID")
    assert jobs.get_job(job_id).status == S.CREATED  # and nothing was done to it


def test_patch_status_by_a_non_operator_is_403_whether_or_not_the_job_exists(
    jobs: TranslationJobService,
) -> None:
    job_id = create()
    body = {"status": "FAILED", "reason": "x"}
    theirs = call("PATCH", f"/jobs/{job_id}/status", user="mallory", body=body)
    absent = call("PATCH", "/jobs/JOB_NOPE/status", user="mallory", body=body)
    assert theirs.status == absent.status == 403
    assert theirs.text == absent.text


def test_owners_list_only_themselves(jobs: TranslationJobService) -> None:
    create()
    reply = call("GET", "/jobs/user/alice", user="bob")
    assert reply.status == 403
    assert call("GET", "/jobs/user/bob", user="bob").body == {
        "jobs": [],
        "totalCount": 0,
        "nextCursor": None,
        "hasMore": False,
    }


def _pages(user: str, query: dict[str, list[str]] | None = None) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params = dict(query or {})
        params["limit"] = ["2"]
        if cursor:
            params["cursor"] = [cursor]
        body = call("GET", f"/jobs/user/{user}", user=user, query=params).body
        pages.append([job["jobId"] for job in body["jobs"]])
        cursor = body["nextCursor"]
        assert body["hasMore"] is (cursor is not None)
        if cursor is None:
            return pages


def test_user_listing_pages_newest_first_without_gaps_or_repeats(
    jobs: TranslationJobService, manager: JobStateManager
) -> None:
    created = [create(documentId=f"doc-{i}") for i in range(5)]
    advance(manager, created[1], TO_QUEUED)
    advance(manager, created[3], TO_QUEUED)

    pages = _pages("alice")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [job for page in pages for job in page] == list(reversed(created))

    queued = _pages("alice", {"status": ["QUEUED"]})
    assert [job for page in queued for job in page] == [created[3], created[1]]
    both = _pages("alice", {"status": ["QUEUED", "CREATED"]})
    assert sorted(job for page in both for job in page) == sorted(created)


def test_user_listing_validates_its_query(jobs: TranslationJobService) -> None:
    too_many = call("GET", "/jobs/user/alice", query={"limit": ["101"]})
    assert too_many.status == 422
    unknown = call("GET", "/jobs/user/alice", query={"status": ["SLEEPING"]})
    assert unknown.status == 422
    backwards = call(
        "GET",
        "/jobs/user/alice",
        query={"startDate": ["2026-02-01T00:00:00Z"], "endDate": ["2026-01-01T00:00:00Z"]},
    )
    assert backwards.status == 422


def _first_cursor(jobs: TranslationJobService) -> str:
    for i in range(3):
        create(documentId=f"doc-{i}")
    body = call("GET", "/jobs/user/alice", query={"limit": ["1"]}).body
    cursor: str = body["nextCursor"]
    assert cursor
    return cursor


def test_changed_or_truncated_cursors_are_400(jobs: TranslationJobService) -> None:
    cursor = _first_cursor(jobs)
    payload, signature = cursor.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (f"{flipped}.{signature}", cursor[:-3], cursor[: len(cursor) // 2], "garbage"):
        reply = call("GET", "/jobs/user/alice", query={"limit": ["1"], "cursor": [bad]})
        assert reply.status == 400, bad
        assert reply.error_code == "INVALID_CURSOR"


def test_a_cursor_is_bound_to_its_caller_and_filters(jobs: TranslationJobService) -> None:
    cursor = _first_cursor(jobs)
    operator = call(
        "GET",
        "/jobs/user/alice",
        user="ops",
        operator=True,
        query={"limit": ["1"], "cursor": [cursor]},
    )
    assert operator.status == 400
    filtered = call(
        "GET", "/jobs/user/alice", query={"limit": ["1"], "cursor": [cursor], "status": ["QUEUED"]}
    )
    assert filtered.status == 400
    assert call("GET", "/jobs/user/alice", query={"limit": ["1"], "cursor": [cursor]}).status == 200


def test_chunks_page_by_cursor_and_refuse_foreign_cursors(
    jobs: TranslationJobService, manager: JobStateManager
) -> None:
    job_id = create()
    advance(manager, job_id, [*TO_QUEUED, (S.QUEUED, S.CHUNKING)])
    manager.register_chunks(job_id, [ChunkSpec(index=i, token_count=100) for i in range(5)])

    seen: list[int] = []
    cursor: str | None = None
    while True:
        query = {"limit": ["2"], **({"cursor": [cursor]} if cursor else {})}
        body = call("GET", f"/jobs/{job_id}/chunks", query=query).body
        seen += [chunk["index"] for chunk in body["chunks"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == [0, 1, 2, 3, 4]

    first = call("GET", f"/jobs/{job_id}/chunks", query={"limit": ["2"]}).body["nextCursor"]
    other_filter = call(
        "GET",
        f"/jobs/{job_id}/chunks",
        query={"limit": ["2"], "cursor": [first], "status": ["PENDING"]},
    )
    assert other_filter.status == 400
    operator = call(
        "GET",
        f"/jobs/{job_id}/chunks",
        user="ops",
        operator=True,
        query={"limit": ["2"], "cursor": [first]},
    )
    assert operator.status == 400
    details = call("GET", f"/jobs/{job_id}").body
    assert [c["index"] for c in details["chunks"]] == [0, 1, 2, 3, 4]
    assert details["chunksNextCursor"] is None


def test_details_show_the_first_hundred_chunks_and_a_cursor_for_the_rest(
    jobs: TranslationJobService, manager: JobStateManager
) -> None:
    job_id = create()
    advance(manager, job_id, [*TO_QUEUED, (S.QUEUED, S.CHUNKING)])
    manager.register_chunks(job_id, [ChunkSpec(index=i, token_count=10) for i in range(101)])

    details = call("GET", f"/jobs/{job_id}").body
    assert [c["index"] for c in details["chunks"]] == list(range(100))
    rest = call("GET", f"/jobs/{job_id}/chunks", query={"cursor": [details["chunksNextCursor"]]})
    assert rest.status == 200, rest.text
    assert [c["index"] for c in rest.body["chunks"]] == [100]
    assert rest.body["hasMore"] is False
