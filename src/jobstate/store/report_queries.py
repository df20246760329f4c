"""Jobs created in a time range, read from the JobsByStatus index (never a table scan).

The index is keyed `STATUS#<status>` / `PRIORITY#<rank>#CREATED#<createdAt>#<jobId>`, so each
(status, rank) pair is one key-range Query on creation time, read page by page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from jobstate.lifecycle.states import PRIORITY_RANK, JobStatus
from jobstate.models import TranslationJobRecord, format_timestamp
from jobstate.store.client import call_with_retry
from jobstate.store.codec import to_item
from jobstate.store.hydrate import fetch_jobs
from jobstate.store.schema import JOBS_BY_STATUS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REPORT_PAGE_SIZE = 500


def jobs_created_between(
    client: DynamoDBClient,
    table_name: str,
    start: datetime,
    end: datetime,
    *,
    page_size: int = REPORT_PAGE_SIZE,
) -> Iterator[TranslationJobRecord]:
    """Every job created in [start, end), status by status and rank by rank."""
    lower, upper = format_timestamp(start), format_timestamp(end)
    for status in JobStatus:
        for rank in sorted(set(PRIORITY_RANK.values())):
            prefix = f"PRIORITY#{rank}#CREATED#"
            # Keys go on past the timestamp with "#<jobId>", so a job created exactly at `end`
            # sorts above the upper bound and one created at `start` above the lower one.
            values = {
                ":pk": f"STATUS#{status.value}",
                ":lower": prefix + lower,
                ":upper": prefix + upper,
            }
            request: dict[str, Any] = {
                "TableName": table_name,
                "IndexName": JOBS_BY_STATUS.name,
                "KeyConditionExpression": (
                    f"{JOBS_BY_STATUS.partition_key} = :pk AND "
                    f"{JOBS_BY_STATUS.sort_key} BETWEEN :lower AND :upper"
                ),
                "ExpressionAttributeValues": to_item(values),
                "Limit": page_size,
            }
            yield from _pages(client, request)


def _pages(client: DynamoDBClient, request: dict[str, Any]) -> Iterator[TranslationJobRecord]:
    while True:
        response = call_with_retry(partial(client.query, **request))
        # The index holds keys and filter fields only: fetch the page's job items.
        yield from fetch_jobs(client, request["TableName"], list(response.get("Items", [])))
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        request["ExclusiveStartKey"] = last
