"""The jobs table in the template is the one `jobstate.store.schema` defines."""

from __future__ import annotations

from aws_cdk.assertions import Match

from jobstate.store import schema
from tests.infra.conftest import Synthesized


def _table(synthesized: Synthesized, env: str) -> dict:
    tables = synthesized.resources(env, "AWS::DynamoDB::Table")
    assert len(tables) == 1
    return next(iter(tables.values()))


def test_key_schema_and_indexes_match_the_schema_module(synthesized: Synthesized) -> None:
    expected = schema.create_table_request("any")
    properties = _table(synthesized, "dev")["Properties"]

    assert properties["KeySchema"] == [
        {"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": schema.SORT_KEY, "KeyType": "RANGE"},
    ]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(
        expected["AttributeDefinitions"], key=str
    )
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    assert set(indexes) == {index.name for index in schema.INDEXES}
    for index in schema.INDEXES:
        assert indexes[index.name]["KeySchema"] == [
            {"AttributeName": index.partition_key, "KeyType": "HASH"},
            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[index.name]["Projection"] == {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": list(schema.PROJECTED_ATTRIBUTES),
        }


def test_stream_pitr_ttl_encryption_and_on_demand_billing(synthesized: Synthesized) -> None:
    synthesized.templates["dev"].has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": schema.STREAM_VIEW_TYPE},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )


def test_only_dev_may_lose_the_table(synthesized: Synthesized) -> None:
    dev, prod = _table(synthesized, "dev"), _table(synthesized, "prod")

    assert dev["DeletionPolicy"] == "Delete"
    assert dev["Properties"].get("DeletionProtectionEnabled", False) is False
    assert prod["DeletionPolicy"] == "Retain"
    assert prod["UpdateReplacePolicy"] == "Retain"
    assert prod["Properties"]["DeletionProtectionEnabled"] is True
    synthesized.templates["prod"].has_resource(
        "AWS::Cognito::UserPool", {"DeletionPolicy": "Retain", "Properties": Match.any_value()}
    )
