"""Synthetic stream records of the shapes the table produces, for relay tests off the network."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from jobstate import JobHistoryItem, JobStatus, TranslationJobRecord
from jobstate.store import keys
from jobstate.store.codec import to_item

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_sequence = itertools.count(1000)


def job(job_id: str = "JOB_A", **overrides: Any) -> TranslationJobRecord:
    values: dict[str, Any] = {
        "job_id": job_id,
        "user_id": "user-1",
        "document_id": "doc-1",
        "filename": "secret-plans.docx",
        "target_language": "es",
        "status": JobStatus.CREATED,
        "created_at": T0,
        "updated_at": T0,
        "last_activity_at": T0,
        "word_count": 3000,
        "file_size": 100,
        "content_hash": "sha256:abcdef",
    }
    values.update(overrides)
    return TranslationJobRecord.model_validate(values)


def _job_image(record: TranslationJobRecord) -> dict[str, Any]:
    data = {**keys.job_key(record.job_id), **record.model_dump(by_alias=True, mode="json")}
    return to_item({k: v for k, v in data.items() if v is not None})


def _record(name: str, key: dict[str, str], new: Any = None, old: Any = None) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": to_item(key), "SequenceNumber": str(next(_sequence))}
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {"eventName": name, "eventSource": "aws:dynamodb", "dynamodb": change}


def history_insert(
    record: TranslationJobRecord, source: JobStatus | None, target: JobStatus
) -> dict[str, Any]:
    item = JobHistoryItem(
        job_id=record.job_id,
        version=record.version,
        from_state=source,
        to_state=target,
        at=T0 + timedelta(seconds=record.version),
        actor="SYSTEM",
        reason="pipeline",
    )
    key = {"PK": keys.job_pk(record.job_id), "SK": keys.history_sk(record.version)}
    image = to_item({**key, "kind": "HISTORY", **item.model_dump(by_alias=True, mode="json")})
    return _record("INSERT", key, new=image)


def job_change(before: TranslationJobRecord | None, after: TranslationJobRecord) -> dict[str, Any]:
    key = keys.job_key(after.job_id)
    if before is None:
        return _record("INSERT", key, new=_job_image(after))
    return _record("MODIFY", key, new=_job_image(after), old=_job_image(before))


def transition(
    before: TranslationJobRecord | None, target: JobStatus, **changes: Any
) -> tuple[TranslationJobRecord, list[dict[str, Any]]]:
    """The job after the transition and its two records (job item, history item)."""
    if before is None:
        after = job(status=target, **changes)
        return after, [job_change(None, after), history_insert(after, None, target)]
    after = before.model_copy(
        update={
            "status": target,
            "version": before.version + 1,
            "previous_status": before.status,
            **changes,
        }
    )
    return after, [job_change(before, after), history_insert(after, before.status, target)]
