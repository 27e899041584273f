"""Partner webhooks (issue 8): signatures, the store (SQLite, Postgres), retries, claims, API, broker.

The receiver is a real HTTP server on a free port that checks every signature with the documented
verifier (``gateway.webhooks.verify_signature``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request
from fastapi.responses import Response

from gateway.audit import _upgrade
from gateway.webhooks import (
    EVENT_SCOPES,
    MAX_BACKOFF_SECONDS,
    SIGNATURE_HEADER,
    Dispatcher,
    WebhookConsumer,
    WebhookStore,
    backoff_seconds,
    event_types_for,
    sign,
    verify_signature,
)
from rounds.contracts.asyncapi import asyncapi_document
from rounds.contracts.base import Event
from rounds.contracts.registry import event_class
from rounds.infra.clock import FrozenClock
from rounds.infra.cloudevents import Envelope
from rounds.infra.db import create_engine
from rounds.infra.kafka import ensure_topics
from rounds.infra.topology import load_topology
from tests.gateway.standins import GatewayFactory, ServerThread, listening_socket

LATE = "rounds.visit.late.v1"
SECRET = "whsec_test"


def example(event_type: str) -> Event:
    """A valid event of ``event_type`` (the AsyncAPI document's example, through the contract)."""
    cls = event_class(event_type)
    assert cls is not None
    document = asyncapi_document()
    payload = document["components"]["messages"][cls.__name__]["examples"][0]["payload"]
    return cls.model_validate(payload)


def envelope(event_type: str = LATE) -> Envelope:
    return Envelope.wrap(example(event_type), source="/visits", time=datetime.now(UTC), trace_headers={})


# --- the signature -------------------------------------------------------------------------------


def test_a_signature_verifies_and_tampering_is_caught() -> None:
    body = b'{"id":"e1"}'
    now = int(time.time())
    header = sign(SECRET, body, now)
    assert header.startswith(f"t={now},v1=")
    assert verify_signature(SECRET, header, body)
    assert not verify_signature(SECRET, header, b'{"id":"e2"}')  # body changed
    forged_time = header.replace(f"t={now}", f"t={now + 1}")
    assert not verify_signature(SECRET, forged_time, body)  # timestamp changed
    assert not verify_signature("whsec_other", header, body)  # another secret
    assert not verify_signature(SECRET, "v1=" + header.partition("v1=")[2], body)  # no timestamp
    assert not verify_signature(SECRET, "garbage", body)


def test_an_old_signature_is_refused_as_a_replay() -> None:
    body = b"{}"
    then = int(time.time()) - 301
    assert not verify_signature(SECRET, sign(SECRET, body, then), body)
    assert verify_signature(SECRET, sign(SECRET, body, then), body, now=then + 10)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert backoff_seconds(30) == MAX_BACKOFF_SECONDS


def test_event_types_follow_the_scopes() -> None:
    assert LATE in event_types_for(frozenset({"visits:read"}))
    assert LATE not in event_types_for(frozenset({"schedules:read"}))
    assert "rounds.visit.scheduled.v1" in event_types_for(frozenset({"schedules:read"}))
    # Key people's contacts, care plans, incidents are never offered to partners.
    offered = set(EVENT_SCOPES)
    assert (
        not {"rounds.keyperson.added.v1", "rounds.careplan.agreed.v1", "rounds.incident.reported.v1"}
        & offered
    )
    assert event_types_for(frozenset({"visits:write"})) == []


# --- a real receiver -----------------------------------------------------------------------------


@dataclass
class Receiver:
    """A partner's endpoint: checks signatures, answers with the statuses it is told, counts."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    received: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    secret: str = SECRET


def receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()
    documented = documented_verifier()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        header = request.headers.get(SIGNATURE_HEADER, "")
        # Both the gateway's own check and the snippet partners copy from the docs.
        if not (
            verify_signature(receiver.secret, header, body) and documented(receiver.secret, header, body)
        ):
            receiver.bad_signatures += 1
            return Response(status_code=400)
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        if status == 200:
            receiver.received.append({"delivery": request.headers["x-rounds-delivery"], "body": body})
        return Response(status_code=status)

    return app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    sock = listening_socket()
    state.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    thread = ServerThread(receiver_app(state), sock)
    thread.start()
    try:
        yield state
    finally:
        thread.stop()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WebhookStore]:
    await asyncio.to_thread(_upgrade, database_url)
    engine = create_engine(database_url)
    try:
        yield WebhookStore(engine, FrozenClock(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)), max_attempts=4)
    finally:
        await engine.dispose()


async def subscribe(store: WebhookStore, receiver: Receiver, **overrides: Any) -> str:
    options: dict[str, Any] = {
        "client_id": "council",
        "provider": "acme-care",
        "scopes": frozenset({"visits:read"}),
        "url": receiver.url,
        "event_types": [LATE],
    }
    options.update(overrides)
    subscription, secret = await store.subscribe(**options)
    receiver.secret = secret
    return subscription.id


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


@pytest.mark.integration
async def test_a_delivery_reaches_the_receiver_signed(
    store: WebhookStore, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(store, receiver)
    event = envelope()
    assert await store.enqueue(event, provider="acme-care") == 1
    assert await Dispatcher(store, http).run_once() == 1
    assert receiver.bad_signatures == 0
    assert len(receiver.received) == 1
    assert f'"id":"{event.id}"'.encode() in receiver.received[0]["body"]
    [delivery] = await store.deliveries("council")
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("sent", 1, 200)


@pytest.mark.integration
async def test_an_event_is_queued_once_and_only_for_who_may_see_it(
    store: WebhookStore, receiver: Receiver
) -> None:
    await subscribe(store, receiver)
    await subscribe(
        store, receiver, client_id="rota-app", scopes=frozenset({"schedules:read"}), event_types=[]
    )
    await subscribe(store, receiver, client_id="elsewhere", provider="other-care")
    event = envelope()
    assert await store.enqueue(event, provider="acme-care") == 1
    assert await store.enqueue(event, provider="acme-care") == 0  # redelivered by the broker: no second
    assert [d.event_id for d in await store.deliveries(None)] == [event.id]
    assert await store.enqueue(envelope("rounds.keyperson.added.v1"), provider="acme-care") == 0


@pytest.mark.integration
async def test_failures_are_retried_with_backoff_then_sent(
    store: WebhookStore, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    clock = store.clock
    assert isinstance(clock, FrozenClock)
    await subscribe(store, receiver)
    await store.enqueue(envelope(), provider="acme-care")
    receiver.statuses = [500, 500]
    dispatcher = Dispatcher(store, http)
    assert await dispatcher.run_once() == 1
    [delivery] = await store.deliveries("council")
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 1, "HTTP 500")
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=2)
    assert await dispatcher.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=2))
    assert await dispatcher.run_once() == 1
    [delivery] = await store.deliveries("council")
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=4)
    clock.advance(timedelta(seconds=4))
    assert await dispatcher.run_once() == 1
    [delivery] = await store.deliveries("council")
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("sent", 3, 200)
    assert len(receiver.received) == 1


@pytest.mark.integration
async def test_a_delivery_fails_after_the_last_attempt_and_can_be_redelivered(
    store: WebhookStore, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    clock = store.clock
    assert isinstance(clock, FrozenClock)
    await subscribe(store, receiver)
    await store.enqueue(envelope(), provider="acme-care")
    receiver.statuses = [503] * 4
    dispatcher = Dispatcher(store, http)
    for _ in range(4):
        assert await dispatcher.run_once() == 1
        clock.advance(timedelta(hours=1))
    [delivery] = await store.deliveries("council")
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)
    assert await store.redeliver(delivery.id, "someone-else") is None
    again = await store.redeliver(delivery.id, "council")
    assert again is not None
    assert again.status == "queued"
    assert await dispatcher.run_once() == 1
    assert [d.status for d in await store.deliveries("council", status="sent")] == ["sent"]


@pytest.mark.integration
async def test_an_unreachable_receiver_is_an_error_with_a_reason(
    store: WebhookStore, http: httpx.AsyncClient
) -> None:
    sock = listening_socket()
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now
    await store.subscribe(
        client_id="council",
        provider="acme-care",
        scopes=frozenset({"visits:read"}),
        url=f"http://127.0.0.1:{port}/hook",
        event_types=[LATE],
    )
    await store.enqueue(envelope(), provider="acme-care")
    await Dispatcher(store, http).run_once()
    [delivery] = await store.deliveries("council")
    assert delivery.status == "queued"
    assert delivery.last_error is not None
    assert "Connect" in delivery.last_error


@pytest.mark.integration
async def test_two_dispatchers_send_each_delivery_once(
    store: WebhookStore, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await subscribe(store, receiver)
    for _ in range(30):
        await store.enqueue(envelope(), provider="acme-care")
    first, second = Dispatcher(store, http, name="a"), Dispatcher(store, http, name="b")
    while True:
        sent = await asyncio.gather(first.run_once(), second.run_once())
        if not any(sent):
            break
    ids = [r["delivery"] for r in receiver.received]
    assert len(ids) == 30
    assert len(set(ids)) == 30
    assert {d.status for d in await store.deliveries(None)} == {"sent"}


# --- the API through the gateway ---------------------------------------------------------------


@pytest.mark.integration
async def test_partners_manage_their_own_subscriptions(gateway_for: GatewayFactory) -> None:
    async with gateway_for(provider_id="acme-care") as gw:
        council = gw.as_("partner_system", subject="council", scope="visits:read", provider="acme-care",
                         client_id="council")  # fmt: skip
        other = gw.as_("partner_system", subject="other", scope="visits:read", provider="acme-care",
                       client_id="other")  # fmt: skip
        body = {"url": "https://partner.example.org/hook", "event_types": [LATE]}
        created = await gw.client.post("/v1/webhooks/subscriptions", json=body, headers=council)
        assert created.status_code == 201, created.text
        assert created.json()["secret"].startswith("whsec_")
        sub_id = created.json()["id"]

        listed = await gw.client.get("/v1/webhooks/subscriptions", headers=council)
        assert [s["id"] for s in listed.json()["items"]] == [sub_id]
        assert "secret" not in listed.json()["items"][0]
        assert LATE in listed.json()["available_event_types"]
        assert (await gw.client.get("/v1/webhooks/subscriptions", headers=other)).json()["items"] == []
        # the registered manager (the client's default token) sees every partner's
        everyone = await gw.client.get("/v1/webhooks/subscriptions")
        assert [s["id"] for s in everyone.json()["items"]] == [sub_id]

        outside = await gw.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": body["url"], "event_types": ["rounds.visit.scheduled.v1"]},
            headers=council,
        )
        assert outside.status_code == 422
        assert outside.json()["errors"][0]["field"] == "body.event_types"
        plain = await gw.client.post(
            "/v1/webhooks/subscriptions",
            json={"url": "http://partner.example.org/hook", "event_types": [LATE]},
            headers=council,
        )
        assert plain.status_code == 422
        assert plain.json()["errors"][0]["field"] == "body.url"

        assert (
            await gw.client.delete(f"/v1/webhooks/subscriptions/{sub_id}", headers=other)
        ).status_code == 404
        assert (
            await gw.client.delete(f"/v1/webhooks/subscriptions/{sub_id}", headers=council)
        ).status_code == 204
        assert (await gw.client.get("/v1/webhooks/subscriptions", headers=council)).json()["items"] == []
        deliveries = await gw.client.get("/v1/webhooks/deliveries?limit=5", headers=council)
        assert deliveries.status_code == 200
        assert deliveries.json()["items"] == []
        missing = await gw.client.post("/v1/webhooks/deliveries/dlv_nope/redeliver", headers=council)
        assert missing.status_code == 404


@pytest.mark.integration
async def test_care_workers_and_partners_of_another_provider_are_refused(gateway_for: GatewayFactory) -> None:
    async with gateway_for(provider_id="acme-care") as gw:
        worker = gw.as_("care_worker", worker_id="W1")
        stranger = gw.as_("partner_system", scope="visits:read", provider="other-care", client_id="x")
        for headers in (worker, stranger):
            response = await gw.client.get("/v1/webhooks/deliveries", headers=headers)
            assert response.status_code == 403


# --- events from the real broker -----------------------------------------------------------------


@pytest.mark.integration
async def test_events_from_the_broker_are_delivered(
    kafka_bootstrap: str, store: WebhookStore, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    consumer = WebhookConsumer(store, kafka_bootstrap, provider="acme-care", session_timeout_ms=6000)
    await ensure_topics(kafka_bootstrap, [t for t in load_topology().topics if t.name in consumer.topics])
    await subscribe(store, receiver)
    task = asyncio.create_task(consumer.run())
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        deadline = time.monotonic() + 60
        while not consumer.assigned:
            assert time.monotonic() < deadline, "the webhook consumer was not assigned partitions"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # positions are taken at "latest" once assigned
        event = envelope()
        message = event.to_kafka()
        for _ in range(2):  # the broker delivering twice must not send twice
            await producer.send_and_wait(
                message.topic, key=message.key.encode(), value=message.value, headers=message.headers
            )
        while not await store.deliveries("council"):
            assert time.monotonic() < deadline, "no delivery was queued from the broker"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
        await Dispatcher(store, http).run_once()
    finally:
        await producer.stop()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [d.event_id for d in await store.deliveries("council")] == [event.id]
    assert len(receiver.received) == 1
    assert receiver.bad_signatures == 0


# --- the documented verifier ---------------------------------------------------------------------


def documented_verifier() -> Any:
    """The Python snippet partners copy from docs/gateway.md, loaded as it is written there."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "gateway.md").read_text(encoding="utf-8")
    code = text.partition("<!-- webhook-verifier -->\n```python\n")[2].partition("```")[0]
    assert "def verify(" in code
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/gateway.md", "exec"), namespace)
    return namespace["verify"]


def test_the_documented_verifier_accepts_real_signatures_and_refuses_tampering() -> None:
    verify = documented_verifier()
    body = b'{"id":"e1","type":"rounds.visit.late.v1"}'
    now = int(time.time())
    header = sign(SECRET, body, now)
    assert verify(SECRET, header, body)
    assert not verify(SECRET, header, body.replace(b"e1", b"e2"))
    assert not verify(SECRET, header.replace(f"t={now}", f"t={now - 1}"), body)
    assert not verify(SECRET, sign(SECRET, body, now - 301), body)
    assert not verify("whsec_other", header, body)
