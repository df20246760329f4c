"""`jobstate create-table` builds the table from the single schema definition."""

from __future__ import annotations

import uuid

import boto3
import pytest

from jobstate.cli import main
from jobstate.store.schema import INDEXES, STREAM_VIEW_TYPE, TTL_ATTRIBUTE


def test_create_table_at_the_configured_endpoint(
    moto_server: object, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert main(["create-table", "--table", name]) == 0
    assert main(["create-table", "--table", name]) == 0
    out = capsys.readouterr().out
    assert f"table {name} created" in out and f"table {name} already exists" in out
    client = boto3.client("dynamodb")
    table = client.describe_table(TableName=name)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "PK": "HASH",
        "SK": "RANGE",
    }
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == sorted(
        i.name for i in INDEXES
    )
    assert table["StreamSpecification"]["StreamViewType"] == STREAM_VIEW_TYPE
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == TTL_ATTRIBUTE and ttl["TimeToLiveStatus"] == "ENABLED"
