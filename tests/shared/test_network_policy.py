"""The calendar URL policy, without DNS: which URLs and addresses a calendar request may go
to, how hosts are read (as the system's resolver reads them, not as ``ipaddress`` does),
and the allow-list."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import pytest
from pydantic import ValidationError

from shared.config import Settings
from shared.network_policy import (
    AllowList,
    CalendarHostUnknown,
    CalendarUrlRefused,
    address_allowed,
    check_calendar_url,
    literal_address,
    parse_allow_list,
)

NOTHING = AllowList()
INTERNAL = "peger på en intern adresse"


class Resolver:
    """A resolver from a table; names it does not know do not resolve. Records every call."""

    def __init__(self, table: dict[str, list[str]] | None = None):
        self.table = table or {}
        self.asked: list[str] = []

    def __call__(self, host: str) -> Iterable[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


DNS = Resolver(
    {
        "kalender.kommune.dk": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "intern.kommune.dk": ["10.0.0.5"],
        "rebind.example": ["93.184.215.14", "127.0.0.1"],
        "metadata.example": ["169.254.169.254"],
        "mapped.example": ["::ffff:10.0.0.5"],
        "v6-loopback.example": ["::1"],
        "scoped.example": ["fe80::1%eth0"],
    }
)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("::ffff:93.184.215.14", True),  # IPv4-mapped public address
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("192.168.1.10", False),
        ("169.254.169.254", False),  # cloud metadata service
        ("169.254.1.1", False),
        ("100.64.0.1", False),  # shared address space (carrier-grade NAT)
        ("100.127.255.254", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),  # multicast
        ("239.255.255.250", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("192.0.2.10", False),  # documentation range: not global
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fec0::1", False),  # site-local (deprecated)
        ("ff02::1", False),  # multicast
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:7f00:1", False),  # the same, written in hex
        ("::ffff:169.254.169.254", False),
        ("::ffff:10.0.0.5", False),
        ("64:ff9b::a00:5", False),  # NAT64 of 10.0.0.5
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:5::", False),  # 6to4 of 10.0.0.5
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated, reserved)
        ("fe80::1%eth0", False),  # with a zone
    ],
)
def test_only_public_addresses_are_allowed_without_an_allow_list(address: str, allowed: bool) -> None:
    assert address_allowed(address, NOTHING) is allowed
    assert address_allowed(ipaddress.ip_address(address.split("%")[0]), NOTHING) is allowed


def test_the_allow_list_admits_ranges_also_in_their_mapped_form_and_ports_exactly() -> None:
    allow = parse_allow_list(" 10.20.0.0/16 , 127.0.0.1:5232, [::1]:8080, fd00::/8 ")

    assert address_allowed("10.20.3.4", allow) and address_allowed("::ffff:10.20.3.4", allow)
    assert not address_allowed("10.21.0.1", allow)
    assert address_allowed("127.0.0.1", allow, 5232) and not address_allowed("127.0.0.1", allow, 5233)
    assert not address_allowed("127.0.0.1", allow), "a port-bound entry needs the port"
    assert address_allowed("::1", allow, 8080) and not address_allowed("::1", allow, 80)
    assert address_allowed("fd00::7", allow) and not address_allowed("fc00::7", allow)


@pytest.mark.parametrize(
    ("text", "names", "networks"),
    [
        ("", set(), []),
        ("Kalender.Kommune.DK.", {("kalender.kommune.dk", None)}, []),
        ("kalender.intern:8443", {("kalender.intern", 8443)}, []),
        ("127.0.0.1", set(), [("127.0.0.1/32", None)]),
        ("127.0.0.0/8, ::1", set(), [("127.0.0.0/8", None), ("::1/128", None)]),
        ("[::1]:5232,localhost:5232", {("localhost", 5232)}, [("::1/128", 5232)]),
    ],
)
def test_allow_list_entries_are_names_ranges_and_optional_ports(
    text: str, names: set[tuple[str, int | None]], networks: list[tuple[str, int | None]]
) -> None:
    allow = parse_allow_list(text)
    assert allow.names == names
    assert [(str(n), p) for n, p in allow.networks] == networks


@pytest.mark.parametrize(
    "text", ["10.0.0.1/8", "kalender kommune", "http://kalender.kommune.dk/", "host:99999", "host:abc", "*.dk"]
)
def test_an_unreadable_allow_list_entry_stops_the_settings(text: str) -> None:
    with pytest.raises(ValueError, match="PLANNER_CALENDAR_HOSTS_ALLOWED"):
        parse_allow_list(text)
    with pytest.raises(ValidationError):
        Settings.model_validate({"calendar_hosts_allowed": text})


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0x7f000001", "127.0.0.1"),  # one hex number
        ("017700000001", "127.0.0.1"),  # one octal number
        ("0x7f.1", "127.0.0.1"),  # a.b: 8 + 24 bits
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal part
        ("127.000.000.001", "127.0.0.1"),
        ("0x7f.0.0.0x1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("1.2.3.4.5", None),
        ("999.1.1.1", None),
        ("08.1.1.1", None),  # 8 is no octal digit
        ("kalender.kommune.dk", None),
    ],
)
def test_numeric_hosts_are_read_as_the_resolver_reads_them(host: str, address: str | None) -> None:
    """glibc's getaddrinfo, and so the HTTP client, connects ``2130706433`` to 127.0.0.1
    (``inet_aton``), while Python's ``ipaddress`` does not read it as an address at all:
    the policy must not ask ``ipaddress``."""
    found = literal_address(host)
    assert (str(found) if found is not None else None) == address
    if address is not None and ":" not in host and host != "127.0.0.1":
        with pytest.raises(ValueError):
            ipaddress.ip_address(host)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://kalender.kommune.dk/anne/", "http:// eller https://"),
        ("file:///etc/passwd", "http:// eller https://"),
        ("kalender.kommune.dk/anne/", "http:// eller https://"),
        ("javascript:alert(1)", "http:// eller https://"),
        ("https:///anne/", "mangler serverens navn"),
        ("https://anne:hemmelig@kalender.kommune.dk/anne/", "brugernavn eller adgangskode"),
        ("https://anne@kalender.kommune.dk/anne/", "brugernavn eller adgangskode"),
        ("https://@kalender.kommune.dk/anne/", "brugernavn eller adgangskode"),
        ("https://kalender.kommune.dk\\@127.0.0.1/", "brugernavn eller adgangskode"),
        ("https://kalender.kom\tmune.dk/", "mellemrum eller kontroltegn"),
        ("https://kalender.kommune.dk/an ne/", "mellemrum eller kontroltegn"),
        ("https://kalender.kommune.dk/\u200banne/", "mellemrum eller kontroltegn"),
        ("https://kalender.kommune.dk:99999/", "port kan ikke læses"),
        ("https://kalender.kommune.dk:80:80/", "port kan ikke læses"),
        ("https://[::1]x/", "port kan ikke læses"),
        ("https://[fe80::1%25eth0]/", "port kan ikke læses"),
        ("https://127%2e0%2e0%2e1/", "ikke gyldigt"),  # the HTTP client would decode it to 127.0.0.1
        ("https://kalender.kommune.dk\\.127.0.0.1/", "ikke gyldigt"),
        ("https://bücher.example/", "xn--form"),
        ("https://127。0。0。1/", "xn--form"),
        ("https://1.2.3.4.5/", "ikke gyldigt"),
        ("https://08.1.1.1/", "ikke gyldigt"),
        ("http://127.0.0.1/", f"{INTERNAL} (127.0.0.1)"),
        ("http://127.0.0.1./", f"{INTERNAL} (127.0.0.1)"),
        ("http://2130706433/", f"{INTERNAL} (127.0.0.1)"),
        ("http://0x7f.1/", f"{INTERNAL} (127.0.0.1)"),
        ("http://0177.0.0.1/", f"{INTERNAL} (127.0.0.1)"),
        ("http://127.1:5232/", f"{INTERNAL} (127.0.0.1)"),
        ("http://0/", f"{INTERNAL} (0.0.0.0)"),
        ("http://[::1]:5232/", f"{INTERNAL} (::1)"),
        ("http://[::ffff:127.0.0.1]/", INTERNAL),
        ("http://[0:0:0:0:0:ffff:7f00:1]/", INTERNAL),
        ("http://169.254.169.254/latest/meta-data/", f"{INTERNAL} (169.254.169.254)"),
        ("http://0xa9fea9fe/latest/meta-data/", f"{INTERNAL} (169.254.169.254)"),
        ("http://10.0.0.5/", f"{INTERNAL} (10.0.0.5)"),
        ("http://192.168.1.10/", f"{INTERNAL} (192.168.1.10)"),
        ("http://172.16.0.1/", f"{INTERNAL} (172.16.0.1)"),
        ("http://100.64.0.1/", f"{INTERNAL} (100.64.0.1)"),
        ("http://224.0.0.1/", f"{INTERNAL} (224.0.0.1)"),
        ("http://[fd00::1]/", f"{INTERNAL} (fd00::1)"),
        ("http://[64:ff9b::a00:5]/", INTERNAL),
        ("http://localhost:5232/", f"{INTERNAL} (localhost → 127.0.0.1)"),
        ("http://radicale.localhost/", f"{INTERNAL} (radicale.localhost → 127.0.0.1)"),
        ("https://intern.kommune.dk/anne/", f"{INTERNAL} (intern.kommune.dk → 10.0.0.5)"),
        ("https://rebind.example/anne/", f"{INTERNAL} (rebind.example → 127.0.0.1)"),  # one address is enough
        ("https://metadata.example/", "169.254.169.254"),
        ("https://mapped.example/", INTERNAL),
        ("https://v6-loopback.example/", f"{INTERNAL} (v6-loopback.example → ::1)"),
        ("https://scoped.example/", f"{INTERNAL} (scoped.example → fe80::1)"),
        ("https://ukendt.kommune.dk/anne/", "ukendt.kommune.dk kan ikke slås op"),
    ],
)
def test_a_url_that_may_not_be_used_is_refused_in_danish(url: str, words: str) -> None:
    with pytest.raises(CalendarUrlRefused) as refused:
        check_calendar_url(url, NOTHING, DNS)
    assert words in refused.value.detail
    if INTERNAL in words:
        assert "PLANNER_CALENDAR_HOSTS_ALLOWED" in refused.value.detail, "says how IT admits it"


def test_a_name_that_cannot_be_looked_up_has_its_own_refusal() -> None:
    def slow(host: str) -> list[str]:
        raise TimeoutError(host)

    for resolve in (DNS, slow, lambda host: []):
        with pytest.raises(CalendarHostUnknown, match="kan ikke slås op"):
            check_calendar_url("https://ukendt.kommune.dk/", NOTHING, resolve)


@pytest.mark.parametrize(
    ("url", "allow", "addresses"),
    [
        ("https://kalender.kommune.dk/anne/", "", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]),
        ("HTTPS://KALENDER.Kommune.dk/anne/", "", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]),
        ("https://93.184.215.14/dav/", "", ["93.184.215.14"]),
        ("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/", "", ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"]),
        ("http://10.20.1.5/dav/", "10.20.0.0/16", ["10.20.1.5"]),
        ("http://[::ffff:10.20.1.5]/dav/", "10.20.0.0/16", ["::ffff:a14:105"]),
        ("https://intern.kommune.dk/anne/", "10.0.0.0/24", ["10.0.0.5"]),
        ("https://intern.kommune.dk/anne/", "intern.kommune.dk", []),  # by name: not looked up
        ("https://intern.kommune.dk./anne/", "INTERN.kommune.dk", []),
        ("http://127.0.0.1:5232/anne/", "127.0.0.1:5232", ["127.0.0.1"]),
        ("http://localhost:5232/anne/", "localhost:5232", []),
        ("http://[::1]:5232/anne/", "::1", ["::1"]),
    ],
)
def test_a_public_or_admitted_url_is_allowed(url: str, allow: str, addresses: list[str]) -> None:
    resolver = Resolver(DNS.table)
    target = check_calendar_url(url, parse_allow_list(allow), resolver)
    assert [str(a) for a in target.addresses] == addresses
    if not addresses:
        assert resolver.asked == [], "a host the allow-list names is not looked up"


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("http://kalender.kommune.dk/anne/", ""),
        ("http://93.184.215.14/dav/", ""),
        ("http://rebind.example/anne/", "127.0.0.1"),  # one address admitted, the other public
        ("http://kalender.kommune.dk/anne/", "10.0.0.0/8"),
    ],
)
def test_plain_http_is_refused_unless_the_allow_list_admits_the_host(url: str, allow: str) -> None:
    """The advisor's password would cross the network unencrypted: https only, except to a
    server IT admitted (the demo's and the tests' loopback server, an intranet host)."""
    with pytest.raises(CalendarUrlRefused, match="skal begynde med https://") as refused:
        check_calendar_url(url, parse_allow_list(allow), DNS)
    assert "PLANNER_CALENDAR_HOSTS_ALLOWED" in refused.value.detail
    check_calendar_url(url.replace("http://", "https://"), parse_allow_list(allow), DNS)


def test_a_port_bound_allow_entry_admits_that_port_only() -> None:
    allow = parse_allow_list("127.0.0.1:5232,localhost:5232")
    check_calendar_url("http://127.0.0.1:5232/", allow, DNS)
    for url in ("http://127.0.0.1:8001/", "http://127.0.0.1/", "http://localhost:8001/"):
        with pytest.raises(CalendarUrlRefused, match="intern adresse"):
            check_calendar_url(url, allow, DNS)


def test_messages_do_not_echo_unbounded_or_control_input() -> None:
    long_host = "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".example"
    with pytest.raises(CalendarHostUnknown) as unknown:
        check_calendar_url(f"https://{long_host}/", NOTHING, DNS)
    assert long_host not in unknown.value.detail and len(unknown.value.detail) < 200

    bad_host = "x" * 500 + "!"
    with pytest.raises(CalendarUrlRefused) as invalid:
        check_calendar_url(f"https://{bad_host}/", NOTHING, DNS)
    assert bad_host not in invalid.value.detail and len(invalid.value.detail) < 300

    with pytest.raises(CalendarUrlRefused) as control:
        check_calendar_url("https://kalender.kommune.dk/\x1b[31mrød/", NOTHING, DNS)
    assert "\x1b" not in control.value.detail and "rød" not in control.value.detail
