"""Reading the table's DynamoDB stream shard by shard (for the local relay; Lambda reads it in AWS).

Records come back in the shape Lambda delivers them, so the relay handles both alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

GET_RECORDS_LIMIT = 100


@dataclass(frozen=True)
class StreamPage:
    records: list[dict[str, Any]]
    next_iterator: str | None  # None once the shard is closed and read to its end


class TableStream:
    """The stream of one table: its shards, iterators and records."""

    def __init__(
        self,
        table_name: str,
        *,
        region: str | None = None,
        dynamodb: DynamoDBClient | None = None,
        streams: DynamoDBStreamsClient | None = None,
    ) -> None:
        self.table_name = table_name
        self._region = region
        self._dynamodb = dynamodb
        self._streams = streams
        self._arn: str | None = None

    @property
    def streams(self) -> DynamoDBStreamsClient:
        if self._streams is None:
            config = Config(retries={"max_attempts": 3, "mode": "standard"})
            self._streams = boto3.client("dynamodbstreams", region_name=self._region, config=config)
        return self._streams

    def stream_arn(self) -> str | None:
        """The table's latest stream, or None while the table (or its stream) does not exist."""
        if self._arn is None:
            client = self._dynamodb or boto3.client("dynamodb", region_name=self._region)
            self._dynamodb = client
            try:
                table = client.describe_table(TableName=self.table_name)["Table"]
            except client.exceptions.ResourceNotFoundException:
                return None
            self._arn = table.get("LatestStreamArn")
        return self._arn

    def shard_ids(self) -> list[str]:
        arn = self.stream_arn()
        if arn is None:
            return []
        shards: list[str] = []
        request: dict[str, Any] = {"StreamArn": arn}
        while True:
            description = self.streams.describe_stream(**request)["StreamDescription"]
            shards += [shard["ShardId"] for shard in description.get("Shards", [])]
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            request["ExclusiveStartShardId"] = last

    def iterator(
        self, shard_id: str, *, at_sequence: str | None = None, after_sequence: str | None = None
    ) -> str:
        """An iterator at the shard's oldest record, at `at_sequence`, or after `after_sequence`."""
        arn = self.stream_arn()
        if arn is None:
            raise LookupError(f"table {self.table_name} has no stream")
        request: dict[str, Any] = {"StreamArn": arn, "ShardId": shard_id}
        if at_sequence is not None:
            request |= {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": at_sequence}
        elif after_sequence is not None:
            request |= {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "SequenceNumber": after_sequence,
            }
        else:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        return self.streams.get_shard_iterator(**request)["ShardIterator"]

    def read(self, iterator: str, *, limit: int = GET_RECORDS_LIMIT) -> StreamPage:
        response = self.streams.get_records(ShardIterator=iterator, Limit=limit)
        records = [_as_lambda_record(dict(record)) for record in response.get("Records", [])]
        return StreamPage(records, response.get("NextShardIterator"))


def _as_lambda_record(record: dict[str, Any]) -> dict[str, Any]:
    """boto3 parses the creation time into a datetime; Lambda delivers epoch seconds."""
    change = dict(record.get("dynamodb", {}))
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    record["dynamodb"] = change
    return record
