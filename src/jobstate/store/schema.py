"""The table's definition, in one place: `jobstate create-table` and the CDK stack both read it.

This module is plain data (no boto3), so the CDK app can import it without the runtime SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTITION_KEY = "PK"
SORT_KEY = "SK"
TTL_ATTRIBUTE = "ttl"
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"
DEFAULT_TABLE_NAME = "jobstate-jobs"


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    partition_key: str
    sort_key: str
    purpose: str


JOBS_BY_USER = IndexDefinition(
    "JobsByUser", "GSI1PK", "GSI1SK", "a user's jobs, newest first (USER#id / CREATED#at#id)"
)
JOBS_BY_STATUS = IndexDefinition(
    "JobsByStatus",
    "GSI2PK",
    "GSI2SK",
    "jobs in one status by priority rank, then age (STATUS#s / PRIORITY#rank#CREATED#at#id)",
)
JOBS_BY_DOCUMENT = IndexDefinition(
    "JobsByDocument", "GSI3PK", "GSI3SK", "jobs of one document (DOCUMENT#id / CREATED#at#id)"
)
INDEXES: tuple[IndexDefinition, ...] = (JOBS_BY_USER, JOBS_BY_STATUS, JOBS_BY_DOCUMENT)

# What the indexes carry besides their keys: the attributes their filters need, none of which a
# chunk report changes. A chunk report rewrites the job item's counters; with ALL projected, each
# report would also rewrite the item in all three indexes (three more writes of a 2 KB item).
# Readers take the keys from an index and fetch the items themselves (one BatchGetItem a page).
PROJECTED_ATTRIBUTES: tuple[str, ...] = (
    "jobId",
    "userId",
    "documentId",
    "status",
    "priority",
    "createdAt",
    "contentHash",
    "targetLanguage",
)


def key_attributes() -> list[str]:
    """Every attribute used as a key of the table or an index (all strings)."""
    names = [PARTITION_KEY, SORT_KEY]
    for index in INDEXES:
        names += [index.partition_key, index.sort_key]
    return names


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable request for an on-demand table with every index and the stream."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in key_attributes()
        ],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": list(PROJECTED_ATTRIBUTES),
                },
            }
            for index in INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }
