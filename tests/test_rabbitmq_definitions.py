"""deploy/rabbitmq/definitions.json gives each service its own RabbitMQ user with rights to
exactly what its code declares, publishes and consumes: no service may publish another's
event types or read another's queue. Checked against the names the code uses, and, where
``rabbitmqctl`` may be used, against a real RabbitMQ."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue

from services.booking.mail.celery_app import MAIL_QUEUE, SEND_DUE, app_for, make_celery, send_due_later
from shared import events as ev
from shared.config import Settings
from shared.messaging import PUBLISHES, SUBSCRIPTIONS, Publisher, run_consumer, service_queue

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text(encoding="utf-8"))
DEPLOY_README = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
EVENT_USERS = {"offers": "planner-offers", "booking": "planner-booking", "calendar_sync": "planner-worker"}
"""The users of the services that declare the events topology, publish and consume events."""
MAIL_USER = "planner-booking-mail"
USERS = {**EVENT_USERS, "booking_mail": MAIL_USER}
VHOST = "planner"
DEFAULTS = Settings.model_validate({})
EXCHANGE = DEFAULTS.events_exchange
ALL_TYPES = frozenset(v for k, v in vars(ev).items() if k.isupper() and isinstance(v, str) and "." in v)
CELERY_NAMES = (
    "celeryev",
    "celeryev.0b5e6f3a-4c1d-4e2f-9a7b-1c2d3e4f5a6b",
    "celery.pidbox",
    "reply.celery.pidbox",
    "0b5e6f3a-4c1d-4e2f-9a7b-1c2d3e4f5a6b.reply.celery.pidbox",
)
"""Celery's own exchanges and queues a worker declares at start (events, gossip, mingle)."""


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


def mail_queue(broker_url: str = "memory://") -> Queue:
    """The mail worker's task queue as its Celery app declares it (exchange, queue, binding)."""
    app = make_celery(Settings.model_validate({"broker_url": broker_url}))
    queue = app.amqp.default_queue
    assert queue.name == MAIL_QUEUE
    return queue


def test_the_definitions_name_one_vhost_and_a_user_per_service_without_passwords() -> None:
    assert [v["name"] for v in DEFINITIONS["vhosts"]] == [VHOST]
    assert set(EVENT_USERS) == set(SUBSCRIPTIONS)
    assert sorted(u["name"] for u in DEFINITIONS["users"]) == sorted(USERS.values())
    assert all(u["password_hash"] == "" and u["tags"] == [] for u in DEFINITIONS["users"])  # IT sets passwords
    assert sorted(p["user"] for p in DEFINITIONS["permissions"]) == sorted(USERS.values())
    assert sorted(p["user"] for p in DEFINITIONS["topic_permissions"]) == sorted(USERS.values())
    assert {e["name"] for e in DEFINITIONS["exchanges"]} == {EXCHANGE, MAIL_QUEUE}
    assert {q["name"] for q in DEFINITIONS["queues"]} == {*queues().values(), MAIL_QUEUE}
    bindings = {(b["destination"], b["routing_key"]) for b in DEFINITIONS["bindings"] if b["source"] == EXCHANGE}
    assert bindings == {(queues()[s], t) for s, types in SUBSCRIPTIONS.items() for t in types}
    assert [b for b in DEFINITIONS["bindings"] if b["source"] not in (EXCHANGE, MAIL_QUEUE)] == []


def test_the_mail_queue_is_declared_as_the_mail_worker_declares_it() -> None:
    """The booking service publishes the nudge into the exchange ``planner.booking.mail`` without
    declaring anything, so the definitions declare it, its queue and the binding, exactly as the
    mail worker's Celery app does at start (anything else fails its start: PRECONDITION_FAILED)."""
    queue = mail_queue()
    [exchange] = [e for e in DEFINITIONS["exchanges"] if e["name"] == MAIL_QUEUE]
    [declared] = [q for q in DEFINITIONS["queues"] if q["name"] == MAIL_QUEUE]
    [binding] = [b for b in DEFINITIONS["bindings"] if b["source"] == MAIL_QUEUE]
    assert queue.exchange.name == MAIL_QUEUE
    assert (exchange["type"], exchange["durable"], exchange["auto_delete"], exchange["internal"]) == (
        queue.exchange.type,
        queue.exchange.durable,
        queue.exchange.auto_delete,
        False,
    )
    assert exchange["arguments"] == (queue.exchange.arguments or {})
    assert (declared["durable"], declared["auto_delete"], declared["arguments"]) == (
        queue.durable,
        queue.auto_delete,
        queue.queue_arguments or {},
    )
    assert (binding["destination"], binding["destination_type"], binding["routing_key"], binding["arguments"]) == (
        MAIL_QUEUE,
        "queue",
        queue.routing_key,
        queue.binding_arguments or {},
    )


@pytest.mark.parametrize("service", sorted(EVENT_USERS))
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


@pytest.mark.parametrize("service", sorted(EVENT_USERS))
def test_each_service_reads_its_own_queue_and_no_other(service: str) -> None:
    read = permissions(USERS[service])["read"]
    assert allows(read, queues()[service])
    others = [name for other, name in queues().items() if other != service]
    assert [name for name in others if allows(read, name)] == []


@pytest.mark.parametrize("service", sorted(EVENT_USERS))
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
    for service in ("offers", "booking", "booking_mail"):
        assert not allows(permissions(USERS[service])["write"], DEFAULTS.task_queue)
    for service in ("offers", "booking"):
        assert not allows(permissions(USERS[service])["write"], "amq.default")


def test_the_mail_worker_may_use_its_queue_and_celerys_names_and_nothing_of_the_events() -> None:
    """The mail worker publishes and consumes no domain events: it may use its own task queue
    (and exchange) ``planner.booking.mail`` and what Celery declares at start, and write to
    ``amq.default``, through which its beat sends the tasks."""
    rights = permissions(MAIL_USER)
    for kind in ("configure", "write", "read"):
        for name in (MAIL_QUEUE, *CELERY_NAMES):
            assert allows(rights[kind], name), (kind, name)
        for name in (EXCHANGE, *queues().values(), DEFAULTS.task_queue):
            assert not allows(rights[kind], name), (kind, name)
    assert allows(rights["write"], "amq.default")
    assert not allows(rights["configure"], "amq.default") and not allows(rights["read"], "amq.default")
    topic = topic_permissions(MAIL_USER)
    assert [t for t in sorted(ALL_TYPES) if allows(topic["write"], t) or allows(topic["read"], t)] == []


def test_the_booking_service_may_only_publish_the_nudge_into_the_mail_queue() -> None:
    """Write on ``planner.booking.mail`` (publish into the exchange of that name), nothing else
    of the mail worker: read would let it take the worker's tasks (RabbitMQ's rights do not
    tell the exchange from the queue of the same name), configure delete them, and neither
    is needed once the definitions declare the queue."""
    rights = permissions(USERS["booking"])
    assert allows(rights["write"], MAIL_QUEUE)
    assert not allows(rights["configure"], MAIL_QUEUE) and not allows(rights["read"], MAIL_QUEUE)
    for name in CELERY_NAMES:
        assert not any(allows(rights[kind], name) for kind in ("configure", "write", "read")), name
    for service in ("offers", "calendar_sync"):
        other = permissions(USERS[service])
        assert not any(allows(other[kind], MAIL_QUEUE) for kind in ("configure", "write", "read")), service


def test_the_deploy_readme_lists_every_users_rights() -> None:
    for user in USERS.values():
        assert f"`{user}`" in DEPLOY_README
        for regex in (*permissions(user).values(), *topic_permissions(user).values()):
            if regex not in (user, VHOST, EXCHANGE):
                assert f"`{regex}`" in DEPLOY_README, (user, regex)


def test_the_deploy_readme_names_every_unit_and_sets_every_users_password() -> None:
    for unit in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        assert f"`{unit.name}`" in DEPLOY_README, unit.name
    loop = re.search(r"^for user in ([^;]+); do$", DEPLOY_README, re.MULTILINE)
    assert loop is not None and loop.group(1).split() == list(USERS.values())


# --- against a real RabbitMQ, where this host's rabbitmqctl may change it ----------------------------


REAL_CLOCK_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
"""rabbitmqctl keeps the real clock when the tests run a year ahead (an Erlang VM under
libfaketime starts slowly); the broker it talks to keeps it too."""


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=False, env=REAL_CLOCK_ENV
    )


def password_hash(password: str) -> str:
    """RabbitMQ's stored form of ``password`` (``rabbit_password_hashing_sha256``: a 4-byte
    salt, then SHA-256 of salt and password, in base64), for ``import_definitions``."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


@pytest.fixture(scope="module")
def definitions_applied(rabbitmq_url: str) -> Iterator[dict[str, str]]:
    """The definitions applied to a new vhost with users of their own (``<vhost>-<service>``,
    password ``pw``), in one ``import_definitions``; yields each service's broker URL.
    Removed afterwards. (Each rabbitmqctl call starts an Erlang VM: seconds on a busy machine.)"""
    if shutil.which("rabbitmqctl") is None or rabbitmqctl("list_vhosts").returncode != 0:
        pytest.skip("rabbitmqctl is not usable on this host")
    vhost = f"planner-test-{uuid.uuid4().hex[:10]}"
    names = {service: f"{vhost}-{service}" for service in USERS}
    applied: dict[str, Any] = {
        "vhosts": [{"name": vhost}],
        "users": [
            {
                "name": name,
                "password_hash": password_hash("pw"),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
            for name in names.values()
        ],
        "permissions": [
            {**permissions(user), "user": names[service], "vhost": vhost} for service, user in USERS.items()
        ],
        "topic_permissions": [
            {**topic_permissions(user), "user": names[service], "vhost": vhost} for service, user in USERS.items()
        ],
    }
    try:
        # rabbitmqctl may run as the broker's own user: the file must be readable by others.
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
            file.write(json.dumps(applied))
            file.flush()
            os.chmod(file.name, 0o644)
            done = rabbitmqctl("import_definitions", file.name)
        assert done.returncode == 0, done.stderr
        yield {service: f"amqp://{names[service]}:pw@127.0.0.1:5672/{vhost}" for service in USERS}
    finally:
        for name in names.values():
            rabbitmqctl("delete_user", name)
        rabbitmqctl("delete_vhost", vhost)


def refused(action: Any) -> str:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the test looks at the broker's answer
        return str(exc)
    return ""


def test_a_real_rabbitmq_enforces_the_definitions(definitions_applied: dict[str, str]) -> None:
    for service in EVENT_USERS:
        url = definitions_applied[service]
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


def declare_mail_topology(url: str) -> Queue:
    """The definitions' mail exchange, queue and binding (as ``import_definitions`` makes them),
    then the mail worker's own declaration at start, which must agree; here by the mail user."""
    [exchange] = [e for e in DEFINITIONS["exchanges"] if e["name"] == MAIL_QUEUE]
    [declared] = [q for q in DEFINITIONS["queues"] if q["name"] == MAIL_QUEUE]
    [binding] = [b for b in DEFINITIONS["bindings"] if b["source"] == MAIL_QUEUE]
    queue = mail_queue(url)
    with Connection(url) as connection:
        channel = connection.channel()
        Exchange(MAIL_QUEUE, exchange["type"], durable=exchange["durable"], auto_delete=exchange["auto_delete"])(
            channel
        ).declare()
        channel.queue_declare(
            MAIL_QUEUE,
            durable=declared["durable"],
            auto_delete=declared["auto_delete"],
            arguments=declared["arguments"],
        )
        channel.queue_bind(MAIL_QUEUE, MAIL_QUEUE, binding["routing_key"])
        queue(channel).declare()  # the worker's declaration: PRECONDITION_FAILED if it differs
    return queue


def take_task(url: str, queue: Queue) -> str:
    """The task name of the next message in the mail queue, taken by ``url``'s user."""
    with Connection(url) as connection:
        simple = connection.SimpleQueue(queue)
        try:
            message = simple.get(timeout=5)
            message.ack()
            assert message.content_type == "application/json"
            return str(message.headers["task"])
        finally:
            simple.close()


def booking_nudge(url: str) -> None:
    """The nudge as the booking user's rights admit it: into the exchange ``planner.booking.mail``
    with the routing key of its binding, declaring nothing (Celery's default declares the queue
    and binds it, which needs configure and read, and publishes through ``amq.default``)."""
    app = make_celery(Settings.model_validate({"broker_url": url}))
    try:
        app.tasks[SEND_DUE].apply_async(retry=False, exchange=MAIL_QUEUE, routing_key=MAIL_QUEUE, declare=[])
    finally:
        app.close()


def test_a_real_rabbitmq_lets_booking_nudge_the_mail_worker_and_nothing_more(
    definitions_applied: dict[str, str],
) -> None:
    booking, mail = definitions_applied["booking"], definitions_applied["booking_mail"]
    queue = declare_mail_topology(mail)

    booking_nudge(booking)
    assert take_task(mail, queue) == SEND_DUE

    beat = make_celery(Settings.model_validate({"broker_url": mail}))  # the worker's beat: through amq.default
    try:
        beat.tasks[SEND_DUE].apply_async(retry=False)
    finally:
        beat.close()
    assert take_task(mail, queue) == SEND_DUE

    with Connection(booking) as connection:
        channel = connection.channel()
        assert "ACCESS_REFUSED" in refused(lambda: channel.basic_get(MAIL_QUEUE)), "booking may read the mail queue"
    with Connection(booking) as connection:
        channel = connection.channel()
        assert "ACCESS_REFUSED" in refused(lambda: channel.queue_delete(MAIL_QUEUE)), "booking may delete it"

    for name in queues().values():
        with Connection(mail) as connection:
            channel = connection.channel()
            assert "ACCESS_REFUSED" in refused(lambda c=channel, n=name: c.basic_get(n)), f"mail may read {name}"
    with Connection(mail, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        answer = refused(lambda: producer.publish("{}", exchange=EXCHANGE, routing_key=ev.ADVISOR_CHANGED))
        assert "ACCESS_REFUSED" in answer, "mail may publish on the events exchange"


def test_a_real_rabbitmq_takes_the_nudge_as_the_booking_service_sends_it(definitions_applied: dict[str, str]) -> None:
    booking, mail = definitions_applied["booking"], definitions_applied["booking_mail"]
    queue = declare_mail_topology(mail)
    settings = Settings.model_validate({"broker_url": booking})
    try:
        send_due_later(settings)
    finally:
        app_for(settings).close()
    assert take_task(mail, queue) == SEND_DUE
