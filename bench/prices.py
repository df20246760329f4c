"""Public AWS list prices (us-east-1, on-demand / pay per use) used to turn counts into dollars.

Taken from the AWS pricing pages as last known to the author (DynamoDB on-demand after the
November 2024 price cut); free tiers are ignored. Check them before quoting a bill.
"""

from __future__ import annotations

PRICES_AS_OF = "2025-01 (AWS public pricing pages, us-east-1)"

DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000  # per write request unit
DYNAMODB_READ_UNIT = 0.125 / 1_000_000  # per read request unit
STEP_FUNCTIONS_TRANSITION = 0.025 / 1_000  # Standard workflows, per state transition
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND = 0.0000133334  # Arm (infra deploys arm64); x86 is 0.0000166667
EVENTBRIDGE_EVENT = 1.00 / 1_000_000  # custom events put on a bus


def dynamodb_cost(read_units: float, write_units: float) -> float:
    return read_units * DYNAMODB_READ_UNIT + write_units * DYNAMODB_WRITE_UNIT
