"""Job items fetched for the keys an index returned: the indexes project keys and filter fields."""

from __future__ import annotations

import random
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from jobstate.errors import StoreUnavailableError
from jobstate.lifecycle.recovery import full_jitter_delay
from jobstate.models import TranslationJobRecord
from jobstate.store.client import STORE_BACKOFF, STORE_MAX_ATTEMPTS, call_with_retry
from jobstate.store.codec import from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_GET_LIMIT = 100


def fetch_jobs(
    client: DynamoDBClient, table: str, entries: list[dict[str, Any]]
) -> list[TranslationJobRecord]:
    """The job items behind `entries` (raw index items), in their order; vanished ones skipped."""
    found: dict[tuple[str, str], TranslationJobRecord] = {}
    for start in range(0, len(entries), BATCH_GET_LIMIT):
        keys = [{"PK": e["PK"], "SK": e["SK"]} for e in entries[start : start + BATCH_GET_LIMIT]]
        for item in _batch_get(client, table, keys):
            found[(item["PK"]["S"], item["SK"]["S"])] = TranslationJobRecord.model_validate(
                from_item(item)
            )
    ordered = (found.get((e["PK"]["S"], e["SK"]["S"])) for e in entries)
    return [job for job in ordered if job is not None]


def _batch_get(
    client: DynamoDBClient, table: str, keys: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: Any = {table: {"Keys": keys, "ConsistentRead": True}}
    for attempt in range(STORE_MAX_ATTEMPTS):
        response = call_with_retry(partial(client.batch_get_item, RequestItems=request))
        items.extend(response.get("Responses", {}).get(table, []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return items
        time.sleep(full_jitter_delay(attempt, STORE_BACKOFF, random.Random()))
    raise StoreUnavailableError("BatchGetItem kept returning unprocessed keys")
