"""Fixtures for the API handler tests: the handler's service on a fresh moto table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobstate import JobStateManager, TranslationJobService
from jobstate.handlers import api


@pytest.fixture
def jobs(table_name: str) -> Iterator[TranslationJobService]:
    service = TranslationJobService()
    api.use_service(service)
    yield service
    api.use_service(None)


@pytest.fixture
def manager(jobs: TranslationJobService) -> JobStateManager:
    return jobs.manager
