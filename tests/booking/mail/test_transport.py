"""The SMTP transport over TLS: STARTTLS and implicit TLS check the server's certificate
(a self-signed one is refused unless trusted), and the login is sent only inside TLS."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.booking.mail.transport import SmtpTransport, TransportError, envelope_sender, transport_for
from tests.booking.mail.conftest import Collector
from tests.conftest import free_port, make_settings

SENDER = "ikke-svar@jobcenter.example"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its file and its key's)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


class Logins:
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"rigtig-kode")


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, Collector, Logins]]:
    handler, logins, port = Collector(), Logins(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=logins,
        auth_required=True,
    )
    controller.start()
    yield port, handler, logins
    controller.stop()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, "borger@example.org", "Bekræftelse"
    mail["Message-ID"] = "<mail-1@jobcenter-planner>"
    mail.set_content("Hej")
    return mail


def test_starttls_with_a_trusted_certificate_logs_in_and_delivers(
    starttls_server: tuple[int, Collector, Logins], certificate: tuple[Path, Path]
) -> None:
    port, handler, logins = starttls_server
    transport = SmtpTransport(
        "127.0.0.1", port, "starttls", "planner", "rigtig-kode", 5.0, SENDER, trusting(certificate)
    )
    transport.send(message(), "borger@example.org")
    assert len(handler.messages) == 1 and logins.seen == [(b"planner", b"rigtig-kode")]


def test_starttls_refuses_a_certificate_nobody_vouches_for(starttls_server: tuple[int, Collector, Logins]) -> None:
    port, handler, logins = starttls_server
    transport = SmtpTransport("127.0.0.1", port, "starttls", "planner", "rigtig-kode", 5.0, SENDER)  # system CAs
    with pytest.raises(TransportError, match="TLS fejlede"):
        transport.send(message(), "borger@example.org")
    assert handler.messages == [] and logins.seen == []  # the password never left


def test_a_wrong_password_is_a_short_error(
    starttls_server: tuple[int, Collector, Logins], certificate: tuple[Path, Path]
) -> None:
    port, _, _ = starttls_server
    transport = SmtpTransport(
        "127.0.0.1", port, "starttls", "planner", "forkert-kode", 5.0, SENDER, trusting(certificate)
    )
    with pytest.raises(TransportError) as raised:
        transport.send(message(), "borger@example.org")
    assert raised.value.description in {"SMTP 535: login afvist", "SMTP: serveren lukkede forbindelsen"}
    assert not raised.value.permanent  # a configuration to fix: retried, not given up
    assert "forkert-kode" not in raised.value.description


def test_implicit_tls_delivers(certificate: tuple[Path, Path]) -> None:
    handler, port = Collector(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=server_context(certificate))
    controller.start()
    try:
        SmtpTransport("127.0.0.1", port, "tls", "", "", 5.0, SENDER, trusting(certificate)).send(message(), "b@x.dk")
        with pytest.raises(TransportError, match="TLS fejlede"):
            SmtpTransport("127.0.0.1", port, "tls", "", "", 5.0, SENDER).send(message(), "b@x.dk")
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_the_transport_follows_the_settings() -> None:
    smtp = transport_for(
        make_settings(
            smtp_host="smtp.kommune.example",
            smtp_port=465,
            smtp_security="tls",
            smtp_username="planner",
            smtp_password="kode",
            mail_from="Jobcenter <ikke-svar@kommune.example>",
        )
    )
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.password, smtp.sender) == (
        "smtp.kommune.example", 465, "tls", "planner", "kode", "ikke-svar@kommune.example",
    )  # fmt: skip
    assert envelope_sender("ikke-svar@kommune.example") == "ikke-svar@kommune.example"
