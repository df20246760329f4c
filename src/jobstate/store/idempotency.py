"""Idempotency records for job creation, on the jobs table under their own key prefix.

A record reserves the job id for one (user, key) pair before the job is written, so a retried
request finds the same job id whether or not the first attempt got as far as writing the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from jobstate.models import format_timestamp, utc_now
from jobstate.store import keys
from jobstate.store.client import call_with_retry
from jobstate.store.codec import from_item, to_item

if TYPE_CHECKING:
    from jobstate.store.manager import JobStateManager

IDEMPOTENCY_SK = "IDEMPOTENCY"
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


def idempotency_key(user_id: str, key: str) -> dict[str, str]:
    return {"PK": f"{keys.IDEMPOTENCY_PREFIX}{user_id}#{key}", "SK": IDEMPOTENCY_SK}


@dataclass(frozen=True)
class IdempotencyRecord:
    user_id: str
    key: str
    request_hash: str
    job_id: str
    response: dict[str, Any] | None
    expires_at: int


class IdempotencyStore:
    """Reserve, complete and release the record of one `Idempotency-Key`."""

    def __init__(
        self,
        manager: JobStateManager,
        *,
        ttl_seconds: int = IDEMPOTENCY_TTL_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._manager = manager
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    def reserve(self, user_id: str, key: str, request_hash: str, job_id: str) -> IdempotencyRecord:
        """Write a new record, or return the live one already there (whatever its hash)."""
        now = self._clock()
        expires = int(now.timestamp()) + self._ttl_seconds
        item = {
            **idempotency_key(user_id, key),
            "kind": "IDEMPOTENCY",
            "userId": user_id,
            "requestHash": request_hash,
            "jobId": job_id,
            "createdAt": format_timestamp(now),
            "ttl": expires,
        }
        client = self._manager.client
        try:
            # TTL deletion lags by up to days, so an expired record is overwritten, not obeyed.
            call_with_retry(
                lambda: client.put_item(
                    TableName=self._manager.table,
                    Item=to_item(item),
                    ConditionExpression="attribute_not_exists(PK) OR #ttl < :now",
                    ExpressionAttributeNames={"#ttl": "ttl"},
                    ExpressionAttributeValues=to_item({":now": int(now.timestamp())}),
                )
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            existing = self.get(user_id, key)
            if existing is None:  # released between our write and our read: take it again
                return self.reserve(user_id, key, request_hash, job_id)
            return existing
        return IdempotencyRecord(user_id, key, request_hash, job_id, None, expires)

    def get(self, user_id: str, key: str) -> IdempotencyRecord | None:
        client = self._manager.client
        response = call_with_retry(
            lambda: client.get_item(
                TableName=self._manager.table,
                Key=to_item(idempotency_key(user_id, key)),
                ConsistentRead=True,
            )
        )
        raw = response.get("Item")
        if not raw:
            return None
        data = from_item(raw)
        return IdempotencyRecord(
            user_id=user_id,
            key=key,
            request_hash=str(data["requestHash"]),
            job_id=str(data["jobId"]),
            response=data.get("response"),
            expires_at=int(data.get("ttl", 0)),
        )

    def complete(self, record: IdempotencyRecord, response: dict[str, Any]) -> None:
        """Store the reply that every retry with this key will get."""
        client = self._manager.client
        call_with_retry(
            lambda: client.update_item(
                TableName=self._manager.table,
                Key=to_item(idempotency_key(record.user_id, record.key)),
                UpdateExpression="SET #response = :response",
                ConditionExpression="#jobId = :job",
                ExpressionAttributeNames={"#response": "response", "#jobId": "jobId"},
                ExpressionAttributeValues=to_item({":response": response, ":job": record.job_id}),
            )
        )

    def release(self, record: IdempotencyRecord) -> None:
        """Forget a reservation whose job was refused, so the key can be used again."""
        client = self._manager.client
        try:
            call_with_retry(
                lambda: client.delete_item(
                    TableName=self._manager.table,
                    Key=to_item(idempotency_key(record.user_id, record.key)),
                    ConditionExpression="#jobId = :job AND attribute_not_exists(#response)",
                    ExpressionAttributeNames={"#jobId": "jobId", "#response": "response"},
                    ExpressionAttributeValues=to_item({":job": record.job_id}),
                )
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
