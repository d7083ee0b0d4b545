"""Logging: one line per record, and no CPR number ever reaches a log.

``CprRedactingFilter`` replaces anything shaped like a CPR number (DDMMYY-SSSS or ten
digits in a row) with a mask, as a last line of defence; code must not log them anyway.
"""

from __future__ import annotations

import logging
import re

CPR_PATTERN = re.compile(r"(?<!\d)([0-3]\d[01]\d\d\d)-?(\d{4})(?!\d)")


def redact_cpr(text: str) -> str:
    return CPR_PATTERN.sub("XXXXXX-XXXX", text)


class CprRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_cpr(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Root logging for a service process (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(f, CprRedactingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(CprRedactingFilter())
        root.addHandler(handler)
    root.setLevel(level.upper())
