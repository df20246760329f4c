"""The DynamoDB client and the retry policy around it. The only place that builds a client."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from jobstate.config import Settings
from jobstate.errors import StoreUnavailableError
from jobstate.lifecycle.recovery import BackoffPolicy, full_jitter_delay
from jobstate.store.schema import TTL_ATTRIBUTE, create_table_request

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")

# Errors that say "try again": the request did not take effect.
RETRYABLE_CODES = frozenset(
    {
        "TransactionConflictException",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
    }
)
RETRYABLE_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)
STORE_BACKOFF = BackoffPolicy(base_seconds=0.02, cap_seconds=1.0)
STORE_MAX_ATTEMPTS = 8


def make_client(settings: Settings) -> DynamoDBClient:
    # jobstate retries throttles and conflicts itself (with full jitter), so botocore's own
    # retries are kept to connection-level faults.
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, tcp_keepalive=True)
    return boto3.client("dynamodb", region_name=settings.region, config=config)


def cancellation_codes(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]


def is_retryable(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code in RETRYABLE_CODES:
        return True
    if code == "TransactionCanceledException":
        return any(c in RETRYABLE_CANCELLATION_CODES for c in cancellation_codes(error))
    return False


def call_with_retry(
    operation: Callable[[], T],
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `operation`, retrying throttling and transaction conflicts with capped full jitter."""
    for attempt in range(STORE_MAX_ATTEMPTS):
        try:
            return operation()
        except ClientError as error:
            if not is_retryable(error):
                raise
            if attempt == STORE_MAX_ATTEMPTS - 1:
                raise StoreUnavailableError(str(error)) from error
            sleep(full_jitter_delay(attempt, STORE_BACKOFF, rng))
    raise AssertionError("unreachable")


def create_table(client: DynamoDBClient, table_name: str) -> bool:
    """Create the table (and enable TTL) if it is missing. Returns True when it was created."""
    try:
        client.describe_table(TableName=table_name)
        return False
    except client.exceptions.ResourceNotFoundException:
        pass
    request: Any = create_table_request(table_name)
    try:
        client.create_table(**request)
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
    return True
