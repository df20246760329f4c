"""The jobs table, built from the one definition in `jobstate.store.schema`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.environments import EnvironmentConfig
from jobstate.store import schema

ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}
STREAM_VIEWS = {
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "OLD_IMAGE": dynamodb.StreamViewType.OLD_IMAGE,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}

# The store's whole vocabulary: no DeleteItem, no Scan, no batch calls. A transaction is
# authorised item by item through these same actions.
READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
READ_WRITE_ACTIONS = (*READ_ACTIONS, "dynamodb:PutItem", "dynamodb:UpdateItem")


def _keys(key_schema: list[dict[str, str]], types: dict[str, str]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for element in key_schema:
        name = element["AttributeName"]
        attribute = dynamodb.Attribute(name=name, type=ATTRIBUTE_TYPES[types[name]])
        keys["partition_key" if element["KeyType"] == "HASH" else "sort_key"] = attribute
    return keys


class JobsTable(Construct):
    """Job, chunk and history items in one table, with its indexes, stream and TTL."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        request = schema.create_table_request(f"jobstate-{config.name}-jobs")
        types = {a["AttributeName"]: a["AttributeType"] for a in request["AttributeDefinitions"]}
        stream = request["StreamSpecification"]
        if request["BillingMode"] != "PAY_PER_REQUEST" or not stream["StreamEnabled"]:
            raise ValueError("the stack expects an on-demand table with its stream enabled")

        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=request["TableName"],
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=STREAM_VIEWS[stream["StreamViewType"]],
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=config.protect_data,
            removal_policy=config.removal_policy,
            **_keys(request["KeySchema"], types),
        )
        for index in request["GlobalSecondaryIndexes"]:
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                projection_type=PROJECTIONS[index["Projection"]["ProjectionType"]],
                non_key_attributes=index["Projection"].get("NonKeyAttributes"),
                **_keys(index["KeySchema"], types),
            )
        self.index_names = tuple(index["IndexName"] for index in request["GlobalSecondaryIndexes"])

    def index_arn(self, index_name: str) -> str:
        if index_name not in self.index_names:
            raise KeyError(f"the table has no index {index_name!r}")
        return f"{self.table.table_arn}/index/{index_name}"

    def grant(
        self,
        role: iam.IRole,
        actions: Iterable[str],
        *,
        indexes: Iterable[str] = (),
    ) -> None:
        """Explicit item actions on the table, and Query on the named indexes only."""
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=sorted(actions), resources=[self.table.table_arn])
        )
        index_arns = [self.index_arn(name) for name in indexes]
        if index_arns:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["dynamodb:Query"], resources=index_arns)
            )
            # Indexes carry keys and filter attributes only; readers fetch the items in batches.
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:BatchGetItem"], resources=[self.table.table_arn]
                )
            )
