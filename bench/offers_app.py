"""The offers app as gunicorn serves it (``services.offers.wsgi``), outbox relay running as in
production, plus the hello-world route of ``bench.hello``."""

from __future__ import annotations

from bench.hello import with_hello
from services.offers.app import create_app
from shared.config import get_settings
from shared.logs import configure_logging

configure_logging("WARNING")
app = with_hello(create_app(get_settings()))
