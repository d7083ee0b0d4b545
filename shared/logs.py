"""Logging: one line per record, and no CPR number ever reaches a log.

A CPR number is masked where a line is written: ``CprRedactingFormatter`` wraps the
formatter of a handler and masks the whole formatted line (message, traceback, stack).
``configure_logging`` puts it on the root handler it installs *and* on every handler
already set up in the process (gunicorn's error and access logs, a handler Celery, Flask
or werkzeug added), so a number in a URL, a request body or an exception message is masked
whichever logger prints it. ``CprRedactingFilter`` cleans the record itself (message,
traceback, stack) for handlers that pass records on instead of writing lines. Both are a
last line of defence: code must not log CPR numbers anyway.
"""

from __future__ import annotations

import logging
import re

_SEPARATOR = "[ \u00a0\u2009\u202f./\\-\u2010\u2011\u2012\u2013\u2014\u2212]"
"""One character that may stand between the parts of a written CPR number: a space (also
no-break, thin and narrow no-break), a dot, a slash, or a hyphen or dash (hyphen-minus,
hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign)."""

CPR_PATTERN = re.compile(
    rf"(?<!\d)(0[1-9]|[12]\d|3[01]){_SEPARATOR}?(0[1-9]|1[0-2]){_SEPARATOR}?(\d\d){_SEPARATOR}?(\d{{4}})(?!\d)"
)
"""A CPR number as people write it: the day 01-31, the month 01-12, the year, each
optionally followed by one separator (``_SEPARATOR``), then the four digits, not part of a
longer number: 0101901234, 010190-1234, 010190 1234, 01.01.90-1234, 01 01 90 1234,
010190–1234. No modulus 11 check (numbers without it are issued since 2007), so every real
CPR number is masked, and numbers that cannot be one stay readable: a 10-digit case number
9876543210 (day 98), an epoch time, timestamps (2026-12-01 10:15:00), IP addresses and
ports, UUIDs whose groups do not happen to read as one. A date written with a four-digit
time (01.12.26 1015) cannot be told from a CPR number and is masked."""

MASK = "XXXXXX-XXXX"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def redact_cpr(text: str) -> str:
    """``text`` with every CPR number replaced by ``MASK``."""
    return CPR_PATTERN.sub(MASK, text)


class CprRedactingFormatter(logging.Formatter):
    """Formats with ``inner`` (the handler's own formatter) and masks CPR numbers in the
    whole line. The traceback text the inner formatter cached on the record is masked too,
    so a handler that formats the record after this one reuses the masked text."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        line = redact_cpr(self.inner.format(record))
        if record.exc_text:
            record.exc_text = redact_cpr(record.exc_text)
        return line


class CprRedactingFilter(logging.Filter):
    """Masks CPR numbers in the record: its message, its traceback (formatted here, into
    ``exc_text``, which formatters print instead of formatting the exception again) and
    its stack."""

    _plain = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: the handler reports it, masked
            message = None
        if message is not None and (redacted := redact_cpr(message)) != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_cpr(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_cpr(record.stack_info)
        return True


def redact_handler(handler: logging.Handler) -> None:
    """Make ``handler`` mask CPR numbers in every line it writes (idempotent)."""
    if not isinstance(handler.formatter, CprRedactingFormatter):
        handler.setFormatter(CprRedactingFormatter(handler.formatter))


def _all_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    return [handler for logger in loggers for handler in logger.handlers]


def configure_logging(level: str = "INFO") -> None:
    """Root logging for a service process: one line per record on stderr (idempotent).

    Every handler in the process, ours and those set up before (gunicorn's, Celery's,
    Flask's), masks CPR numbers from then on.
    """
    root = logging.getLogger()
    if not any(isinstance(f, CprRedactingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(CprRedactingFilter())
        root.addHandler(handler)
    for handler in _all_handlers():
        redact_handler(handler)
    root.setLevel(level.upper())
