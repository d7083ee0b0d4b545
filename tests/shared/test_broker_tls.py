"""TLS to RabbitMQ: an ``amqps://`` broker URL connects only to a server whose certificate
chains to ``PLANNER_BROKER_CA_FILE`` (or the system's CAs) and names the URL's host.

No TLS broker is needed: a TLS listener on 127.0.0.1 with a certificate made here records
whether the client completed the handshake (it speaks no AMQP after that). kombu connects
``localhost`` as 127.0.0.1, so the certificates name the address."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from shared import config
from shared.config import Settings
from shared.messaging import Publisher, broker_connection, broker_ssl
from tests.conftest import make_settings

VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


LOOPBACK = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))


def make_pki(folder: Path, server_name: x509.GeneralName) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``server_name`` signed by it: (CA file, cert, key)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("planner test CA"))
        .issuer_name(_name("planner test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_FROM + timedelta(days=365 * 100))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("planner test broker"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_FROM + timedelta(days=365 * 100))
        .add_extension(x509.SubjectAlternativeName([server_name]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


@dataclass
class TlsListener:
    """Accepts TLS connections on 127.0.0.1 and counts the completed handshakes."""

    cert_file: Path
    key_file: Path
    handshakes: int = 0

    def __post_init__(self) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert_file, self.key_file)
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = int(self.socket.getsockname()[1])
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tls-listener", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                raw, _peer = self.socket.accept()
            except TimeoutError:
                continue
            raw.settimeout(5)
            try:
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    self.handshakes += 1
                    tls.recv(8)  # the AMQP protocol header; then hang up
            except (ssl.SSLError, OSError):
                raw.close()

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture
def pki(tmp_path: Path) -> tuple[Path, Path, Path]:
    return make_pki(tmp_path, LOOPBACK)


@pytest.fixture
def listener(pki: tuple[Path, Path, Path]) -> Iterator[TlsListener]:
    _ca, cert, key = pki
    server = TlsListener(cert, key)
    yield server
    server.close()


@pytest.fixture
def other_host(tmp_path: Path) -> Iterator[tuple[Path, TlsListener]]:
    """A listener on 127.0.0.1 whose certificate (from its own CA) names mq.kommune.dk."""
    folder = tmp_path / "other"
    folder.mkdir()
    ca, cert, key = make_pki(folder, x509.DNSName("mq.kommune.dk"))
    server = TlsListener(cert, key)
    yield ca, server
    server.close()


def connect(url: str, ca_file: str = "") -> Exception:
    """What connecting to ``url`` raises (the listener speaks no AMQP, so it always raises)."""
    connection = broker_connection(url, broker_ssl(url, ca_file))
    try:
        connection.connect()
    except Exception as exc:  # noqa: BLE001 - the test looks at which error it was
        return exc
    finally:
        connection.release()
    raise AssertionError("the TLS listener cannot answer AMQP; connecting must fail")


def certificate_refused(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def test_with_the_ca_file_the_client_completes_tls_to_the_named_host(
    pki: tuple[Path, Path, Path], listener: TlsListener
) -> None:
    ca_file, _cert, _key = pki
    error = connect(f"amqps://guest:guest@127.0.0.1:{listener.port}//", str(ca_file))
    assert not certificate_refused(error), error
    assert listener.handshakes >= 1  # kombu may try again after the AMQP part failed


def test_without_the_ca_file_an_unknown_ca_is_refused(listener: TlsListener) -> None:
    error = connect(f"amqps://guest:guest@127.0.0.1:{listener.port}//")
    assert certificate_refused(error), error
    assert listener.handshakes == 0


def test_a_certificate_for_another_host_is_refused(other_host: tuple[Path, TlsListener]) -> None:
    ca_file, listener = other_host
    error = connect(f"amqps://guest:guest@127.0.0.1:{listener.port}//", str(ca_file))
    assert certificate_refused(error), error
    assert "mismatch" in str(error) or "not valid for" in str(error), error
    assert listener.handshakes == 0


def test_plain_amqp_urls_use_no_tls() -> None:
    assert broker_ssl("amqp://guest:guest@127.0.0.1:5672//", "") is False
    assert broker_ssl("memory://", "") is False


def test_the_publisher_takes_the_ca_file_from_the_settings(
    pki: tuple[Path, Path, Path], listener: TlsListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the services build it (``Publisher(url, exchange)``), the publisher connects with
    this process's PLANNER_BROKER_CA_FILE."""
    ca_file, _cert, _key = pki
    url = f"amqps://guest:guest@127.0.0.1:{listener.port}//"
    monkeypatch.setenv("PLANNER_BROKER_URL", url)
    monkeypatch.setenv("PLANNER_BROKER_CA_FILE", str(ca_file))
    config.get_settings.cache_clear()
    try:
        publisher = Publisher(url, "planner.test.tls")
        with pytest.raises(Exception) as raised:  # no AMQP after the handshake
            publisher.publish_raw("offer.changed", "{}", "e-1")
    finally:
        config.get_settings.cache_clear()
    assert not certificate_refused(raised.value), raised.value
    assert listener.handshakes >= 1  # kombu may try again after the AMQP part failed


def test_a_ca_file_needs_an_amqps_url_and_must_exist(pki: tuple[Path, Path, Path], tmp_path: Path) -> None:
    ca_file, _cert, _key = pki
    with pytest.raises(ValidationError, match="needs an amqps://"):
        make_settings(broker_url="amqp://planner@mq.internal:5672/planner", broker_ca_file=str(ca_file))
    with pytest.raises(ValidationError, match="does not exist"):
        make_settings(broker_url="amqps://planner@mq.internal:5671/planner", broker_ca_file=str(tmp_path / "none"))
    settings: Settings = make_settings(
        broker_url="amqps://planner@mq.internal:5671/planner", broker_ca_file=str(ca_file)
    )
    assert broker_ssl(settings.broker_url, settings.broker_ca_file) == {
        "cert_reqs": ssl.CERT_REQUIRED,
        "server_hostname": None,
        "ca_certs": str(ca_file),
    }


def test_the_workers_celery_connection_checks_the_certificate_too(
    pki: tuple[Path, Path, Path], listener: TlsListener
) -> None:
    """Celery builds its own broker connections (tasks, beat): they use the CA file as well,
    and without it the test CA is refused."""
    from services.calendar_sync.celery_app import make_celery

    ca_file, _cert, _key = pki
    url = f"amqps://guest:guest@127.0.0.1:{listener.port}//"
    for ca, refused in ((str(ca_file), False), ("", True)):
        before = listener.handshakes
        app = make_celery(make_settings(broker_url=url, broker_ca_file=ca))
        with app.connection_for_write() as connection, pytest.raises(Exception) as raised:
            connection.ensure_connection(max_retries=1, timeout=5)
        assert certificate_refused(raised.value) is refused, raised.value
        assert (listener.handshakes > before) is not refused
