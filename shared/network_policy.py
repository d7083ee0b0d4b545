"""Which calendar URLs the system may fetch: http(s) only, and never the internal network.

An administrator types an advisor's calendar URL, and the worker then sends requests to it
from inside the network, with the advisor's password. So a URL is used only when

- its scheme is https, it names a host, and it has no userinfo
  (``https://user:pw@...``: credentials go in their own fields); plain http only to a host
  the allow-list admits (an internal server IT vouches for, the demo's and the tests'
  loopback server), since the password would otherwise cross the internet unencrypted;
- it holds no whitespace or control characters (``urlsplit`` drops some of them
  silently, so the host it sees need not be the one the HTTP client sees);
- the host is plain ASCII (a name with æ, ø or å is written in its ``xn--`` form), with
  no percent signs (the HTTP client decodes ``127%2e0%2e0%2e1`` into ``127.0.0.1``);
- every address of the host is public: a literal address, read the way the system's
  resolver reads it (``inet_aton``: ``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` are all
  127.0.0.1, and so the HTTP client connects there), or every address the name resolves to.
  Loopback, link-local (169.254.169.254, the cloud metadata service, among them), private
  (RFC 1918, fc00::/7), shared (100.64.0.0/10), unspecified, multicast and reserved
  addresses are internal, also as IPv4-mapped (``::ffff:127.0.0.1``), NAT64 or 6to4 IPv6
  forms;
- unless the allow-list (``PLANNER_CALENDAR_HOSTS_ALLOWED``) admits the host by name or
  its addresses by CIDR range, optionally with a port.

Pure: names are resolved by the function the caller passes in (``shared.name_lookup``
in the services), so the rules are tested without DNS. ``address_allowed`` is kept apart
from the URL parsing for a check at connect time (against DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from shared.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str], Iterable[str]]
"""``resolve(host)``: the addresses ``host`` resolves to; raises ``OSError`` (a
``socket.gaierror``, a ``TimeoutError``) when it cannot be looked up."""

SETTING = "PLANNER_CALENDAR_HOSTS_ALLOWED"
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_HOST_AND_PORT = re.compile(r"(?:\[[0-9a-f:.]+\]|[^\[\]:]*)(?::[0-9]*)?", re.IGNORECASE)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHOWN = 80


class CalendarUrlRefused(UserError):
    """The calendar URL may not be used; ``detail`` says why, in Danish, for staff."""

    code = "calendar_url_refused"


class CalendarHostUnknown(CalendarUrlRefused):
    """The host name cannot be looked up (now): maybe a typing error, maybe DNS trouble."""

    code = "calendar_host_unknown"


@dataclass(frozen=True, slots=True)
class AllowList:
    """Hosts (by name) and address ranges a calendar URL may point at although they are
    internal; each with a port, or ``None`` for any port."""

    names: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[IPNetwork, int | None], ...] = ()

    def admits_name(self, host: str, port: int | None = None) -> bool:
        name = host.lower().rstrip(".")
        return (name, None) in self.names or (port is not None and (name, port) in self.names)

    def admits_address(self, address: IPAddress, port: int | None = None) -> bool:
        return any(
            address.version == network.version and address in network and allowed in (None, port)
            for network, allowed in self.networks
        )


@dataclass(frozen=True, slots=True)
class CalendarTarget:
    """Where an allowed calendar URL points: the host as the client will use it, the port,
    and the addresses checked (empty when the allow-list admitted the host by name)."""

    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def shown(text: str, limit: int = _SHOWN) -> str:
    """``text`` fit for a message: control characters replaced, at most ``limit`` characters."""
    cleaned = "".join(c if c.isprintable() else "?" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _entry(text: str) -> tuple[str, int | None]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address/range."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{SETTING}: cannot read {text!r}")
        return host, int(rest[1:]) if rest else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, None


def parse_allow_list(text: str) -> AllowList:
    """The allow-list of a comma-separated setting, e.g. ``kalender.kommune.dk,
    10.20.0.0/16, 127.0.0.1:5232``; raises ``ValueError`` naming an entry it cannot read."""
    names: set[tuple[str, int | None]] = set()
    networks: list[tuple[IPNetwork, int | None]] = []
    for raw in text.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        try:
            host, port = _entry(item)
        except ValueError:
            raise ValueError(f"{SETTING}: cannot read the port of {item!r}") from None
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"{SETTING}: {item!r} has no valid port")
        try:
            networks.append((ipaddress.ip_network(host), port))
            continue
        except ValueError:
            pass
        name = host.rstrip(".")
        if not _is_host_name(name):
            raise ValueError(f"{SETTING}: {item!r} is neither a host name nor an address range (CIDR)")
        names.add((name, port))
    return AllowList(frozenset(names), tuple(networks))


@lru_cache(maxsize=8)
def allow_list(text: str) -> AllowList:
    """``parse_allow_list``, kept for the setting's text (it is read for every check)."""
    return parse_allow_list(text)


def _is_host_name(name: str) -> bool:
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4."""
    if address.version == 4:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_internal(address: IPAddress) -> bool:
    """Whether ``address`` is not a public unicast address (or carries one that is not)."""
    inner = embedded_ipv4(address)
    if inner is not None and is_internal(inner):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False  # a mapped address is its IPv4 address (Python < 3.13 calls them all private)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 4 and address in _SHARED)
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
    )


def address_allowed(address: IPAddress | str, allow: AllowList, port: int | None = None) -> bool:
    """Whether a calendar request may go to ``address`` (on ``port``): it is public, or the
    allow-list admits it (or the IPv4 address it carries). Also for a connect-time check."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    return admitted(ip, allow, port) or not is_internal(ip)


def admitted(address: IPAddress, allow: AllowList, port: int | None = None) -> bool:
    """Whether the allow-list admits ``address`` (or the IPv4 address it carries)."""
    inner = embedded_ipv4(address)
    return allow.admits_address(address, port) or (inner is not None and allow.admits_address(inner, port))


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, read as the system's resolver reads it: an IPv6
    literal, or an IPv4 address in any form ``inet_aton`` accepts (``2130706433``,
    ``0x7f.1``, ``0177.0.0.1``); None for a host name."""
    if ":" in host:
        return ipaddress.IPv6Address(host)
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _refuse_internal(shown_host: str, address: IPAddress) -> CalendarUrlRefused:
    where = str(address) if shown_host == str(address) else f"{shown_host} → {address}"
    return CalendarUrlRefused(
        f"Kalenderadressen peger på en intern adresse ({where}), som ikke er tilladt. IT kan tillade den i {SETTING}."
    )


def _refuse_plain_http(host: str) -> CalendarUrlRefused:
    return CalendarUrlRefused(
        f"Kalenderadressen til {shown(host)} skal begynde med https://, så adgangskoden ikke sendes ukrypteret. "
        f"http:// bruges kun til servere, som IT har tilladt i {SETTING}."
    )


def parse_calendar_url(url: str) -> tuple[str, int, IPAddress | None]:
    """The host (lower case, without a final dot), port and literal address of a calendar
    URL that passes the rules on its form; raises ``CalendarUrlRefused``."""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise CalendarUrlRefused("Kalenderadressen må ikke indeholde mellemrum eller kontroltegn.")
    try:
        parts = urlsplit(url)
        scheme, netloc, host, port = parts.scheme, parts.netloc, parts.hostname or "", parts.port
    except ValueError:
        raise CalendarUrlRefused("Kalenderadressens server eller port kan ikke læses.") from None
    if scheme not in DEFAULT_PORTS:
        raise CalendarUrlRefused("Kalenderadressen skal begynde med http:// eller https://.")
    if "@" in netloc:
        raise CalendarUrlRefused(
            "Kalenderadressen må ikke indeholde brugernavn eller adgangskode; "
            "skriv dem i felterne Kalenderbrugernavn og Kalenderadgangskode."
        )
    if not _HOST_AND_PORT.fullmatch(netloc):
        raise CalendarUrlRefused("Kalenderadressens server eller port kan ikke læses.")
    if not host:
        raise CalendarUrlRefused("Kalenderadressen mangler serverens navn, fx https://kalender.kommune.dk/anne/.")
    name = host[:-1] if host.endswith(".") else host
    try:
        address = None if "%" in name else literal_address(name)
    except ValueError:
        raise CalendarUrlRefused(f"Kalenderadressens server ({shown(host)}) er ikke en gyldig adresse.") from None
    if address is None and (not _is_host_name(name) or _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1])):
        raise CalendarUrlRefused(
            f"Kalenderadressens servernavn ({shown(host)}) er ikke gyldigt: brug kun a-z, 0-9, bindestreg og "
            "punktum (et navn med æ, ø eller å skrives i xn--form)."
        )
    return name, DEFAULT_PORTS[scheme] if port is None else port, address


def check_calendar_url(url: str, allow: AllowList, resolve: Resolve) -> CalendarTarget:
    """Where ``url`` points, if it may be used as a calendar URL; raises
    ``CalendarUrlRefused`` (``CalendarHostUnknown`` when the name cannot be looked up)
    with a Danish message. A name the allow-list admits is not looked up."""
    host, port, address = parse_calendar_url(url)
    plain = urlsplit(url).scheme == "http"
    if address is not None:
        if not address_allowed(address, allow, port):
            raise _refuse_internal(str(address), address)
        if plain and not admitted(address, allow, port):
            raise _refuse_plain_http(host)
        return CalendarTarget(host, port, (address,))
    if allow.admits_name(host, port):
        return CalendarTarget(host, port, ())
    if host == "localhost" or host.endswith(".localhost"):  # loopback by definition (RFC 6761)
        raise _refuse_internal(host, ipaddress.IPv4Address("127.0.0.1"))
    try:
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host)]
    except (OSError, ValueError):
        found = []
    if not found:
        raise CalendarHostUnknown(f"Kalenderserverens navn {shown(host)} kan ikke slås op. Kontrollér adressen.")
    for each in found:
        if not address_allowed(each, allow, port):
            raise _refuse_internal(shown(host), each)
    if plain and not all(admitted(each, allow, port) for each in found):
        raise _refuse_plain_http(host)
    return CalendarTarget(host, port, tuple(dict.fromkeys(found)))
