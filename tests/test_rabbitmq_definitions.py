"""deploy/rabbitmq/definitions.json gives each service its own RabbitMQ user with rights to
exactly what its code declares, publishes and consumes: no service may publish another's
event types or read another's queue. Checked against the names the code uses, and, where
``rabbitmqctl`` may be used, against a real RabbitMQ."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection

from shared import events as ev
from shared.config import Settings
from shared.messaging import PUBLISHES, SUBSCRIPTIONS, Publisher, run_consumer, service_queue

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text(encoding="utf-8"))
DEPLOY_README = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
USERS = {"offers": "planner-offers", "booking": "planner-booking", "calendar_sync": "planner-worker"}
VHOST = "planner"
DEFAULTS = Settings.model_validate({})
EXCHANGE = DEFAULTS.events_exchange
ALL_TYPES = frozenset(v for k, v in vars(ev).items() if k.isupper() and isinstance(v, str) and "." in v)


def permissions(user: str) -> dict[str, str]:
    [found] = [p for p in DEFINITIONS["permissions"] if p["user"] == user and p["vhost"] == VHOST]
    return found


def topic_permissions(user: str) -> dict[str, str]:
    [found] = [p for p in DEFINITIONS["topic_permissions"] if p["user"] == user and p["exchange"] == EXCHANGE]
    return found


def allows(regex: str, name: str) -> bool:
    """Whether RabbitMQ grants ``name`` under ``regex`` (it searches, like ``re.search``)."""
    return re.search(regex, name) is not None


def queues() -> dict[str, str]:
    return {service: service_queue(service, EXCHANGE).name for service in SUBSCRIPTIONS}


def test_the_definitions_name_one_vhost_and_a_user_per_service_without_passwords() -> None:
    assert [v["name"] for v in DEFINITIONS["vhosts"]] == [VHOST]
    assert sorted(u["name"] for u in DEFINITIONS["users"]) == sorted(USERS.values())
    assert all(u["password_hash"] == "" and u["tags"] == [] for u in DEFINITIONS["users"])  # IT sets passwords
    assert {e["name"] for e in DEFINITIONS["exchanges"]} == {EXCHANGE}
    assert {q["name"] for q in DEFINITIONS["queues"]} == set(queues().values())
    bindings = {(b["destination"], b["routing_key"]) for b in DEFINITIONS["bindings"] if b["source"] == EXCHANGE}
    assert bindings == {(queues()[s], t) for s, types in SUBSCRIPTIONS.items() for t in types}


@pytest.mark.parametrize("service", sorted(USERS))
def test_each_service_may_declare_and_bind_the_whole_topology(service: str) -> None:
    """Every process declares the exchange and every service's queue with its bindings
    (``declare_topology``), so no event is published before its queue exists."""
    rights = permissions(USERS[service])
    for name in (EXCHANGE, *queues().values()):
        assert allows(rights["configure"], name), f"{service} declares {name}"
    for name in queues().values():
        assert allows(rights["write"], name), f"{service} binds {name} (queue.bind needs write on the queue)"
    assert allows(rights["read"], EXCHANGE), "queue.bind needs read on the exchange"
    bound = {t for types in SUBSCRIPTIONS.values() for t in types}
    assert all(allows(topic_permissions(USERS[service])["read"], key) for key in bound)


@pytest.mark.parametrize("service", sorted(USERS))
def test_each_service_reads_its_own_queue_and_no_other(service: str) -> None:
    read = permissions(USERS[service])["read"]
    assert allows(read, queues()[service])
    others = [name for other, name in queues().items() if other != service]
    assert [name for name in others if allows(read, name)] == []


@pytest.mark.parametrize("service", sorted(USERS))
def test_each_service_publishes_only_its_own_event_types(service: str) -> None:
    write = topic_permissions(USERS[service])["write"]
    assert allows(permissions(USERS[service])["write"], EXCHANGE)
    assert all(allows(write, t) for t in PUBLISHES[service])
    assert sorted(t for t in ALL_TYPES - set(PUBLISHES[service]) if allows(write, t)) == []


def test_what_each_service_publishes_is_what_its_code_announces() -> None:
    """``PUBLISHES`` (the rights) against the code: a service announces an event type where
    its modules other than the consumer name the type's constant."""
    constants = {k: v for k, v in vars(ev).items() if k.isupper() and v in ALL_TYPES}
    for service, published in PUBLISHES.items():
        named = set()
        for path in (ROOT / "services" / service).rglob("*.py"):
            if path.name == "consumer.py" or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            named |= {t for k, t in constants.items() if re.search(rf"\b{k}\b", text)}
        assert named == set(published), service
    every = [t for types in PUBLISHES.values() for t in types]
    assert sorted(every) == sorted(set(every)) and set(every) == {t for ts in SUBSCRIPTIONS.values() for t in ts}


def test_the_worker_may_use_its_celery_queue_and_nothing_of_the_apis() -> None:
    rights = permissions(USERS["calendar_sync"])
    for kind in ("configure", "write", "read"):
        assert allows(rights[kind], DEFAULTS.task_queue), kind
    for service in ("offers", "booking"):
        assert not allows(permissions(USERS[service])["write"], DEFAULTS.task_queue)
        assert not allows(permissions(USERS[service])["write"], "amq.default")


def test_the_deploy_readme_lists_every_users_rights() -> None:
    for user in USERS.values():
        assert f"`{user}`" in DEPLOY_README
        for regex in (*permissions(user).values(), *topic_permissions(user).values()):
            if regex not in (user, VHOST, EXCHANGE):
                assert f"`{regex}`" in DEPLOY_README, (user, regex)


# --- against a real RabbitMQ, where this host's rabbitmqctl may change it ----------------------------


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def definitions_applied(rabbitmq_url: str) -> Iterator[dict[str, str]]:
    """The definitions applied to a new vhost with users of their own (``<vhost>-<service>``,
    password ``pw``); yields each service's broker URL. Removed afterwards."""
    if shutil.which("rabbitmqctl") is None or rabbitmqctl("list_vhosts").returncode != 0:
        pytest.skip("rabbitmqctl is not usable on this host")
    vhost = f"planner-test-{uuid.uuid4().hex[:10]}"
    names = {service: f"{vhost}-{service}" for service in USERS}
    made: list[str] = []
    try:
        assert rabbitmqctl("add_vhost", vhost).returncode == 0
        for service, user in USERS.items():
            assert rabbitmqctl("add_user", names[service], "pw").returncode == 0
            made.append(names[service])
            rights: dict[str, Any] = permissions(user)
            assert (
                rabbitmqctl(
                    "set_permissions", "-p", vhost, names[service], rights["configure"], rights["write"], rights["read"]
                ).returncode
                == 0
            )
            topic = topic_permissions(user)
            assert (
                rabbitmqctl(
                    "set_topic_permissions", "-p", vhost, names[service], EXCHANGE, topic["write"], topic["read"]
                ).returncode
                == 0
            )
        yield {service: f"amqp://{names[service]}:pw@127.0.0.1:5672/{vhost}" for service in USERS}
    finally:
        for user in made:
            rabbitmqctl("delete_user", user)
        rabbitmqctl("delete_vhost", vhost)


def refused(action: Any) -> str:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the test looks at the broker's answer
        return str(exc)
    return ""


def test_a_real_rabbitmq_enforces_the_definitions(definitions_applied: dict[str, str]) -> None:
    for service, url in definitions_applied.items():
        consumer = run_consumer(url, EXCHANGE, service, lambda envelope: None)  # declares the whole topology
        consumer.connection.release()
        publisher = Publisher(url, EXCHANGE)
        try:
            for event_type in PUBLISHES[service]:
                publisher.publish_raw(event_type, "{}", str(uuid.uuid4()))
            forged = next(t for t in sorted(ALL_TYPES) if t not in PUBLISHES[service])
            answer = refused(lambda p=publisher, t=forged: p.publish_raw(t, "{}", str(uuid.uuid4())))
            assert "ACCESS_REFUSED" in answer, f"{service} may publish {forged}"
        finally:
            publisher.close()
        for other in (s for s in SUBSCRIPTIONS if s != service):
            with Connection(url) as connection:
                queue = connection.SimpleQueue(service_queue(other, EXCHANGE))
                answer = refused(lambda q=queue: q.get(block=False))
                assert "ACCESS_REFUSED" in answer, f"{service} may read {other}'s queue"
