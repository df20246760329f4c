"""Bench-only speed-up of moto: Query and GetItem replies serialized with json.dumps.

moto's generic response serializer walks the botocore shape of every attribute of every item
(about 0.8 ms per chunk item here), which is a cost of the emulator, not of DynamoDB, and would
make the baseline's whole-table Queries take half an hour per size. The replies are already in
DynamoDB's wire format, so dumping them as JSON gives the same bytes far faster.
"""

from __future__ import annotations

import json
from typing import Any

FAST_OPERATIONS = frozenset({"Query", "GetItem"})


def install_fast_reads() -> None:
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    action_result = responses.ActionResult
    if getattr(action_result.execute_result, "_bench_fast", False):
        return
    original = action_result.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        result = self.result
        if (
            isinstance(context.response, DynamoHandler)
            and context.operation_model.name in FAST_OPERATIONS
            and isinstance(result, dict)
        ):
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            return 200, headers, json.dumps(result)
        return original(self, context)

    execute_result._bench_fast = True  # type: ignore[attr-defined]
    action_result.execute_result = execute_result  # type: ignore[method-assign]
