"""Job payloads and registries (pure: no database)."""

from __future__ import annotations

import msgspec
import pytest

from marketplace.core.jobs import Job, JobContext, JobRegistry, core_jobs


class Ping(Job, frozen=True, tag="test.ping"):
    n: int


class Other(Job, frozen=True):
    pass


def test_the_tag_is_the_entrypoint() -> None:
    assert Ping.entrypoint() == "test.ping"
    assert Other.entrypoint() == "Other"


def test_payload_round_trips_through_its_registration() -> None:
    registry = JobRegistry()

    @registry.handler(Ping)
    async def handle(ctx: JobContext, job: Ping) -> None:
        return None

    (registration,) = registry.handlers()
    assert registration.decode(msgspec.json.encode(Ping(n=7))) == Ping(n=7)
    with pytest.raises(msgspec.ValidationError):
        registration.decode(b'{"job": "test.ping", "n": "seven"}')


def test_a_job_type_has_one_handler() -> None:
    registry = JobRegistry()

    @registry.handler(Ping)
    async def first(ctx: JobContext, job: Ping) -> None:
        return None

    with pytest.raises(ValueError, match="already has a handler"):

        @registry.handler(Ping)
        async def second(ctx: JobContext, job: Ping) -> None:
            return None


def test_including_the_same_registry_twice_is_refused() -> None:
    registry = JobRegistry()
    registry.include(core_jobs)
    with pytest.raises(ValueError, match="registered twice"):
        registry.include(core_jobs)
