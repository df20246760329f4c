"""The relay's settings from the environment, and the relay wired to the real bus and queue."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field

from jobstate.config import Settings
from jobstate.events.models import DEFAULT_EVENT_BUS_NAME
from jobstate.events.relay import RecentIds, StreamRelay


class RelaySettings(BaseModel):
    bus_name: str = Field(
        default=DEFAULT_EVENT_BUS_NAME,
        min_length=1,
        max_length=1600,
        pattern=r"^[A-Za-z0-9._/:-]+$",
    )
    dead_letter_queue_url: str | None = Field(default=None, min_length=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RelaySettings:
        source = os.environ if env is None else env
        values: dict[str, str] = {}
        if source.get("EVENT_BUS_NAME"):
            values["bus_name"] = source["EVENT_BUS_NAME"]
        if source.get("JOBSTATE_DEAD_LETTER_QUEUE_URL"):
            values["dead_letter_queue_url"] = source["JOBSTATE_DEAD_LETTER_QUEUE_URL"]
        return cls.model_validate(values)


def build_relay(
    relay_settings: RelaySettings | None = None,
    settings: Settings | None = None,
    *,
    recent: RecentIds | None = None,
) -> StreamRelay:
    from jobstate.store.events_bus import DeadLetterQueue, EventBusClient
    from jobstate.store.manager import JobStateManager

    relay_settings = relay_settings or RelaySettings.from_env()
    settings = settings or Settings.from_env()
    manager = JobStateManager(settings=settings)
    queue_url = relay_settings.dead_letter_queue_url
    return StreamRelay(
        EventBusClient(relay_settings.bus_name, region=settings.region),
        lookup=manager.get_job,
        dead_letters=DeadLetterQueue(queue_url, region=settings.region) if queue_url else None,
        recent=recent,
    )
