"""WSGI entry point for gunicorn: ``gunicorn services.offers.wsgi:app`` (see deploy/).

Each gunicorn worker process builds its own app, database pool and outbox relay thread.
Unsafe identity settings (the demo's provider, no client secret) stop it before it serves.
"""

from services.offers.app import create_app
from shared.auth.startup import check_identity_settings
from shared.config import get_settings
from shared.logs import configure_logging

configure_logging(get_settings().log_level)
check_identity_settings(get_settings())
app = create_app(start_relay=True)
