"""Network guard: outbound connections may reach only public internet addresses.

Jobs and callbacks take URLs from callers, so without a guard a caller could make the
worker fetch cloud metadata (169.254.169.254), a database on the private network or a
service on loopback (SSRF). The check runs on the *resolved* address at connect time and
the connection is made to exactly the address that was checked, so a DNS answer that
changes between check and connect (DNS rebinding) cannot slip through, and redirects
are checked like the first request because every connection goes through the guard.

``GH_ALLOW_PRIVATE_NETWORKS=true`` lets loopback and private ranges through (development,
tests, demo); cloud metadata and link-local addresses stay blocked even then.

Use :func:`guarded_client` for httpx; the browser's proxy (``ghosthands.browser.guard``)
applies the same :func:`blocked_reason` to every connection the browser makes.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Ranges the standard library's flags do not all cover on every Python version.
_EXTRA_BLOCKED: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("0.0.0.0/8"),  # "this network"
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (RFC 6598)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("fc00::/7"),  # IPv6 unique local
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fec0::/10"),  # IPv6 site-local (deprecated, still routable inside)
)
_IPV6_LINK_LOCAL = ipaddress.ip_network("fe80::/10")
#: IPv6 prefixes that embed an IPv4 address the packet may end up at.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddressError(Exception):
    """The destination resolves to an address jobs and callbacks may not reach."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, a non-public address")
        self.host = host
        self.address = address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated but still parsed by some stacks).
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


#: Cloud metadata services. Blocked even when private networks are allowed: no job or
#: callback, in any environment, has a reason to read instance credentials.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DO
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("168.63.129.16"),  # Azure wire server
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    }
)

#: Kinds no job or callback may reach whatever the settings say.
ALWAYS_BLOCKED = frozenset({"metadata", "link_local", "unspecified", "multicast", "reserved"})
#: Kinds reachable only with ``GH_ALLOW_PRIVATE_NETWORKS=true`` (dev, demo, tests).
PRIVATE_KINDS = frozenset({"loopback", "private"})


def classify_address(address: str | IPAddress) -> str:
    """Name the kind of ``address``: ``metadata``, ``link_local``, ``unspecified``,
    ``multicast``, ``loopback``, ``reserved``, ``private`` or ``public``.

    IPv6 forms that carry an IPv4 destination (mapped, NAT64) are judged as that IPv4
    address; other embeddings (6to4, Teredo, compatible) are refused when the inner
    address is.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link_local"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            kind = classify_address(inner)
            if ip.ipv4_mapped is not None or ip in _NAT64 or kind != "public":
                return kind  # the packet goes to ``inner`` (or might)
    if ip in METADATA_ADDRESSES:
        return "metadata"
    if ip.is_link_local or (ip.version == 6 and ip in _IPV6_LINK_LOCAL):
        return "link_local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return "loopback"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private or any(ip in net for net in _EXTRA_BLOCKED if net.version == ip.version):
        return "private"
    if not ip.is_global:
        return "reserved"
    return "public"


def is_blocked_address(address: str | IPAddress) -> bool:
    """True for anything but a public internet address."""
    return classify_address(address) != "public"


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclasses.dataclass(frozen=True)
class AllowList:
    """Private destinations one kind of traffic may reach although private networks are
    not allowed: ``GH_CALLBACK_ALLOWED_NETWORKS`` lets callbacks reach VALET inside the
    VPC while job targets stay guarded. Metadata and link-local stay blocked regardless.
    """

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """``"valet.internal, 10.0.0.0/16, 172.31.4.7"``; ValueError names a bad entry."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
                continue
            except ValueError:
                pass
            host = item.rstrip(".").lower()
            if not host or "/" in host or ":" in host or " " in host:
                raise ValueError(f"{item!r} is neither a host name nor an address or CIDR")
            hosts.add(host)
        return cls(frozenset(hosts), tuple(networks))

    def permits(self, host: str, address: str | IPAddress) -> bool:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if host.rstrip(".").lower() in self.hosts:
            return True
        return any(ip.version == net.version and ip in net for net in self.networks)


NO_EXCEPTIONS = AllowList()


def blocked_reason(
    address: str | IPAddress,
    *,
    allow_private_networks: bool,
    host: str = "",
    allowed: AllowList = NO_EXCEPTIONS,
) -> str | None:
    """Why ``address`` may not be reached under these settings, or None when it may."""
    kind = classify_address(address)
    if kind in ALWAYS_BLOCKED:
        return kind
    if kind in PRIVATE_KINDS and not allow_private_networks:
        if allowed.permits(host, address):
            return None
        return kind
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone index
        if address not in seen:
            seen.append(address)
    return seen


async def check_host(
    host: str, port: int, *, allow_private: bool, allowed: AllowList = NO_EXCEPTIONS
) -> list[str]:
    """Resolve ``host`` and return its addresses, or raise BlockedAddressError.

    Every resolved address must be public (or allowed): a name that resolves to one
    public and one private address is refused, since the connection could go to either.
    """
    addresses = await resolve(host, port)
    for address in addresses:
        if blocked_reason(
            address, allow_private_networks=allow_private, host=host, allowed=allowed
        ):
            raise BlockedAddressError(host, address)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore backend that checks the resolved address and connects to that address.

    TLS still verifies the certificate against the URL's host name: httpcore passes the
    origin's host as the server name to ``start_tls``, not the address we connect to.
    """

    def __init__(self, *, allow_private: bool, allowed: AllowList = NO_EXCEPTIONS) -> None:
        self.allow_private = allow_private
        self.allowed = allowed
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await check_host(
                    host, port, allow_private=self.allow_private, allowed=self.allowed
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:  # socket.gaierror: no such name
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, "unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one reads the CA bundle (slow)."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on :class:`GuardedBackend`."""

    def __init__(
        self,
        *,
        allow_private: bool,
        allowed: AllowList = NO_EXCEPTIONS,
        limits: httpx.Limits | None = None,
    ) -> None:
        # httpx does not take a network backend, so the pool is built here instead of by
        # AsyncHTTPTransport.__init__ (whose other methods only use ``self._pool``).
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=10)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private, allowed=allowed),
        )


def guarded_client(
    *, allow_private: bool, allowed: AllowList = NO_EXCEPTIONS, **kwargs: Any
) -> httpx.AsyncClient:
    """An httpx client whose every connection (redirects included) passes the guard.

    Proxies from the environment are ignored: a proxy would make the connection go to
    the proxy's address and the real destination would escape the check.
    """
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private=allow_private, allowed=allowed),
        trust_env=False,
        **kwargs,
    )
