"""How a composed e-mail leaves: over SMTP, or as an ``.eml`` file in a pickup folder (the
demo's mailbox). ``transport_for`` picks one from the settings; None means neither is set
up, and the messages wait.

A failure is a ``TransportError`` with a short description fit for ``citizen_mail.last_error``
and the log: the SMTP status code and what failed, never the server's reply text (which may
echo the address, or anything else) nor the password.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from shared.config import Settings

log = logging.getLogger(__name__)


class TransportError(Exception):
    """Sending failed. ``permanent``: trying again cannot help (the address was refused)."""

    def __init__(self, description: str, *, permanent: bool = False) -> None:
        super().__init__(description)
        self.description = description[:300]
        self.permanent = permanent


class Transport(Protocol):
    def send(self, message: EmailMessage, recipient: str) -> None:
        """Hand ``message`` over for ``recipient``; raises TransportError when it was not taken."""


def envelope_sender(mail_from: str) -> str:
    """The bare address of a ``From:`` like ``Jobcenter <ikke-svar@jobcenter.example>``."""
    return parseaddr(mail_from)[1] or mail_from


@dataclass(frozen=True)
class SmtpTransport:
    """smtplib over ``security``: ``starttls`` (upgrade, certificate and host name checked),
    ``tls`` (implicit TLS, checked the same way) or ``none`` (a loopback relay only); login
    when a user name is given. One connection per message."""

    host: str
    port: int
    security: str
    username: str
    password: str
    timeout: float
    sender: str
    tls_context: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        return self.tls_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            client.starttls(context=self._context())
        return client

    def send(self, message: EmailMessage, recipient: str) -> None:
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(message, from_addr=self.sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise TransportError(
                f"SMTP {'/'.join(map(str, codes))}: modtageren blev afvist", permanent=all(c >= 500 for c in codes)
            ) from None
        except smtplib.SMTPResponseException as exc:  # sender or data refused, auth, 4xx greetings
            raise TransportError(f"SMTP {exc.smtp_code}: {_stage(exc)}") from None
        except smtplib.SMTPServerDisconnected:
            raise TransportError("SMTP: serveren lukkede forbindelsen") from None
        except ssl.SSLError as exc:
            raise TransportError(f"SMTP: TLS fejlede ({type(exc).__name__})") from None
        except TimeoutError:
            raise TransportError("SMTP: ingen svar inden for tidsgrænsen") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"SMTP: forbindelsen fejlede ({type(exc).__name__})") from None


def _stage(exc: smtplib.SMTPResponseException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "login afvist"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "afsenderen blev afvist"
    if isinstance(exc, smtplib.SMTPDataError):
        return "beskeden blev afvist"
    return "serveren afviste"


@dataclass(frozen=True)
class PickupDirTransport:
    """Writes each message as ``<name>.eml`` into ``directory`` (made with mode 0700): first
    into a hidden temporary file there, then renamed, so a reader never sees half a file."""

    directory: Path

    def send(self, message: EmailMessage, recipient: str) -> None:
        name = message_file_name(message)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(message.as_bytes())
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.directory / name)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TransportError(f"mappen kunne ikke skrives ({type(exc).__name__})") from None


def message_file_name(message: EmailMessage) -> str:
    """``<id>.eml`` from a Message-ID ``<mail-<id>@jobcenter-planner>``."""
    message_id = str(message["Message-ID"] or "").strip("<>")
    stem = message_id.split("@", 1)[0].removeprefix("mail-")
    if not stem or not all(c.isalnum() or c == "-" for c in stem):
        raise TransportError("beskeden har intet gyldigt Message-ID")
    return f"{stem}.eml"


def transport_for(settings: Settings) -> Transport | None:
    """The pickup folder when ``mail_pickup_dir`` is set, else SMTP when ``smtp_host`` is set,
    else None (no e-mail is sent; the messages wait)."""
    if settings.mail_pickup_dir is not None:
        return PickupDirTransport(Path(settings.mail_pickup_dir))
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            timeout=settings.smtp_timeout_seconds,
            sender=envelope_sender(settings.mail_from),
        )
    return None
