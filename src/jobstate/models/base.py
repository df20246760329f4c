"""Shared pydantic configuration: camelCase JSON outside, snake_case attributes inside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z: fixed width, so strings sort as times do."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


Timestamp = Annotated[AwareDatetime, PlainSerializer(format_timestamp, return_type=str)]


class ApiModel(BaseModel):
    """Base of every model that crosses a boundary. Unknown fields are refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_enum_values=False,
    )

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)
