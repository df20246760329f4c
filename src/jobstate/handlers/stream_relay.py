"""Lambda entry point on the table's DynamoDB stream: publish the batch, report what failed.

The event source mapping must enable `ReportBatchItemFailures`, so that the records named in
the reply, and only those, are delivered again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstate.events.relay import StreamRelay
from jobstate.observability import logger

_relay: StreamRelay | None = None


def _get_relay() -> StreamRelay:
    global _relay
    if _relay is None:
        from jobstate.events.runtime import build_relay

        _relay = build_relay()
    return _relay


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("a DynamoDB stream event carries a Records list")
    return _get_relay().process(records).batch_response()
