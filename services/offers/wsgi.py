"""WSGI entry point for gunicorn: ``gunicorn services.offers.wsgi:app`` (see deploy/).

Each gunicorn worker process builds its own app, database pool and outbox relay thread.
"""

from services.offers.app import create_app
from shared.config import get_settings
from shared.logs import configure_logging

configure_logging(get_settings().log_level)
app = create_app(start_relay=True)
