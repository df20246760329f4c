"""A plain Powertools REST handler (Logger, Tracer, JSON Schema validation): the yardstick.

It does what a minimal handler of this shape does at import, so jobstate's handler modules can be
compared with it; it is not deployed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from aws_lambda_powertools.utilities.validation import validate

logger = Logger(service="reference")
tracer = Tracer(service="reference")
app = APIGatewayRestResolver()

ITEM_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
    "additionalProperties": False,
}


@app.post("/items")
@tracer.capture_method
def create_item() -> dict[str, Any]:
    body = app.current_event.json_body
    validate(event=body, schema=ITEM_SCHEMA)
    logger.info("item accepted")
    return {"name": body["name"]}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
