"""Conversion between records and DynamoDB's attribute-value form, and update expressions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(value: Any) -> dict[str, Any]:
    result: dict[str, Any] = dict(_SERIALIZER.serialize(_to_dynamo(value)))
    return result


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: serialize(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


class UpdateBuilder:
    """Collects SET/ADD/REMOVE clauses and a condition with generated placeholders.

    Setting an attribute twice keeps the last value and adding twice sums, so independent parts
    of a write (a chunk report and the transition it causes) can share one builder.
    """

    def __init__(self) -> None:
        self._set: dict[str, str] = {}
        self._add: dict[str, int | float] = {}
        self._remove: set[str] = set()
        self._conditions: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = serialize(value)
        return placeholder

    def set(self, attribute: str, value: Any) -> UpdateBuilder:
        if value is None:
            return self.remove(attribute)
        self._remove.discard(attribute)
        self._set[attribute] = f"{self.name(attribute)} = {self.value(value)}"
        return self

    def set_if_absent(self, attribute: str, value: Any) -> UpdateBuilder:
        n = self.name(attribute)
        self._set[attribute] = f"{n} = if_not_exists({n}, {self.value(value)})"
        return self

    def add(self, attribute: str, amount: int | float) -> UpdateBuilder:
        if amount:
            self._add[attribute] = self._add.get(attribute, 0) + amount
        return self

    def remove(self, attribute: str) -> UpdateBuilder:
        self._set.pop(attribute, None)
        self.name(attribute)
        self._remove.add(attribute)
        return self

    def condition(self, expression: str, **values: Any) -> UpdateBuilder:
        """`expression` uses `#attr` names (registered here) and `:key` for each of `values`."""
        for key, value in values.items():
            placeholder = f":{key}"
            self.values[placeholder] = serialize(value)
        for token in expression.replace("(", " ").replace(")", " ").replace(",", " ").split():
            if token.startswith("#"):
                self.names[token] = token[1:]
        self._conditions.append(f"({expression})")
        return self

    def expression(self) -> str:
        parts = []
        if self._set:
            parts.append("SET " + ", ".join(self._set.values()))
        adds = [f"{self.name(a)} {self.value(n)}" for a, n in self._add.items() if n]
        if adds:
            parts.append("ADD " + ", ".join(adds))
        if self._remove:
            parts.append("REMOVE " + ", ".join(f"#{a}" for a in sorted(self._remove)))
        return " ".join(parts)

    def update_request(self, table: str, key: dict[str, str]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": table,
            "Key": to_item(key),
            "UpdateExpression": self.expression(),
            "ExpressionAttributeNames": self.names,
        }
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        if self._conditions:
            request["ConditionExpression"] = " AND ".join(self._conditions)
        return request
