"""The worker's per-process parts: its ServiceContext and the Celery app for given settings.

A context (database engine, outbox relay) is made lazily, once per process and settings:
the key includes ``os.getpid()``, so a prefork child never uses a connection pool it
inherited from its parent. ``enqueue`` sends a task through the app made for the same
settings, so the demo's eager, in-memory settings and a test's settings never mix with
the module-level worker app.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from services.calendar_sync.busy_cache import BUSY_CACHE
from services.calendar_sync.models import OutboxMessage
from shared.config import Settings, get_settings
from shared.service import ServiceContext, build_context

if TYPE_CHECKING:
    from celery import Celery

SETTINGS_ATTRIBUTE = "planner_settings"

_lock = threading.Lock()
_contexts: dict[tuple[int, str], ServiceContext] = {}
_apps: dict[str, Celery] = {}


def _key(settings: Settings) -> str:
    return settings.model_dump_json()


def settings_of(app: Any) -> Settings:
    """The settings a Celery app was made with (the process settings for any other app)."""
    settings = getattr(app, SETTINGS_ATTRIBUTE, None)
    return settings if isinstance(settings, Settings) else get_settings()


def get_context(settings: Settings | None = None) -> ServiceContext:
    """This process's context for ``settings`` (default: the process settings), made once."""
    settings = settings or get_settings()
    key = (os.getpid(), _key(settings))
    with _lock:
        context = _contexts.get(key)
        if context is None:
            context = build_context(settings, settings.calendar_sync_database_url, OutboxMessage)
            _contexts[key] = context
            BUSY_CACHE.capacity = settings.busy_cache_advisors
        return context


def register_app(app: Celery, settings: Settings) -> None:
    setattr(app, SETTINGS_ATTRIBUTE, settings)
    with _lock:
        _apps.setdefault(_key(settings), app)


def get_app(settings: Settings | None = None) -> Celery:
    """The Celery app for ``settings`` (default: the process settings), made once."""
    from services.calendar_sync.celery_app import make_celery

    settings = settings or get_settings()
    with _lock:
        app = _apps.get(_key(settings))
    return app if app is not None else make_celery(settings)


def enqueue(settings: Settings, task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Send the task ``task_name`` (run it at once when ``settings.celery_eager``), to run
    ``countdown`` seconds from now when given."""
    get_app(settings).tasks[task_name].apply_async(args, countdown=countdown or None)


def close_contexts() -> None:
    """Dispose every context this process made (tests, demo shutdown)."""
    with _lock:
        contexts = [c for (pid, _), c in _contexts.items() if pid == os.getpid()]
        _contexts.clear()
    for context in contexts:
        context.close()
