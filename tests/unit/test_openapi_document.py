"""docs/openapi.json is generated from the API app; this fails when the committed copy is stale."""

from __future__ import annotations

import json

from jobstate.docs import GENERATED, ROOT
from jobstate.handlers.api import openapi_document


def test_committed_openapi_matches_the_app() -> None:
    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert committed == openapi_document(), "docs/openapi.json is stale: run `make docs`"
    assert "docs/openapi.json" in GENERATED


def test_every_route_documents_the_error_envelope() -> None:
    document = json.loads(openapi_document())
    job_paths = {p: ops for p, ops in document["paths"].items() if p.startswith("/jobs")}
    assert len(job_paths) == 11
    for path, operations in job_paths.items():
        for method, operation in operations.items():
            for status in ("400", "401", "404", "413", "422", "500"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path)
