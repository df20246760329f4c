"""Schemathesis drives every operation of docs/openapi.json against `jobstate serve`, with valid
and invalid input: no reply is a 5xx, and every reply matches the status, type and schema the
document declares, headers included. Bounded so the whole run takes seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import LocalApi

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
EXAMPLES_PER_OPERATION = 8
FUZZ_USER = "fuzzer"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

SCHEMA = schemathesis.openapi.from_dict(json.loads(OPENAPI.read_text()))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def fuzz_job(api_only: LocalApi) -> str:
    body = {
        "documentId": "fuzz-doc",
        "filename": "fuzz.txt",
        "targetLanguage": "de",
        "documentMetadata": {"wordCount": 2000, "fileSize": 100, "contentHash": "sha256:fuzz0001"},
    }
    reply = requests.post(
        f"{api_only.url}/jobs", json=body, headers=api_only.auth(FUZZ_USER), timeout=30
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["jobId"])


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_operation_breaks_its_contract(
    operation: Any, api_only: LocalApi, fuzz_job: str
) -> None:
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real_job=st.booleans(), operator=st.booleans())
    def exercise(case: Any, real_job: bool, operator: bool) -> None:
        # Half the cases name the caller's own job and own user id, so the fuzzing reaches past
        # the 404s and 403s into the routes' real work.
        parameters = case.path_parameters or {}
        if real_job and "jobId" in parameters:
            parameters["jobId"] = fuzz_job
        if real_job and "userId" in parameters:
            parameters["userId"] = FUZZ_USER
        headers = api_only.auth(FUZZ_USER, operator=operator)
        response = case.call(base_url=api_only.url, session=session, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    exercise()


def test_every_route_is_fuzzed() -> None:
    labels = {op.label for op in OPERATIONS}
    assert "GET /jobs/{jobId}/progress" in labels
    assert "PATCH /jobs/{jobId}/status" in labels
    assert len(labels) >= 11
