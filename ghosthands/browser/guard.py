"""The network guard every request of a job's browser goes through.

Chromium is launched with this loopback forward proxy as its only way out
(``--proxy-server``; Playwright adds ``<-loopback>`` so loopback is proxied too). For
each connection the proxy resolves the host, refuses it when any resolved address is
blocked (:func:`ghosthands.netguard.blocked_reason`), and otherwise connects to
exactly the address it checked, so a DNS answer cannot change between check and use.

Why a proxy and not ``context.route("**/*")``: Playwright never calls route handlers for
redirect hops (a public page answering ``302 Location: http://169.254.169.254/`` is
followed by Chromium without the handler seeing it), and route interception also
misses requests made by service workers. The proxy sees every connection the browser
opens: navigations, each redirect hop, subresources, fetch/XHR, websockets (always
tunnelled with CONNECT) and service workers (which the context blocks anyway).
WebRTC is kept off non-proxied UDP by launch flags (see ``provider.LAUNCH_ARGS``).

Policy: ``allow_private_networks`` (``GH_ALLOW_PRIVATE_NETWORKS``, false in production)
opens loopback and private ranges; link-local and cloud metadata addresses stay
closed whatever it says. ``allowed_hosts`` (``GH_BROWSER_ALLOWED_HOSTS``) names exact
``host:port`` pairs that may be reached whatever they resolve to: how tests and the demo
reach a site on 127.0.0.1 while the rest of loopback stays blocked.
"""

from __future__ import annotations

import collections
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import anyio
import anyio.abc

from ghosthands.logs import get_logger
from ghosthands.netguard import blocked_reason

log = get_logger(__name__)

_MAX_HEAD = 64 * 1024
_CHUNK = 64 * 1024


class GuardBlocked(Exception):
    """A URL the policy does not allow."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class NetworkPolicy:
    """What a job's browser may reach."""

    allow_private_networks: bool = False
    #: Exact ``host:port`` pairs (lower case) allowed whatever they resolve to.
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: object) -> NetworkPolicy:
        return cls(
            allow_private_networks=bool(getattr(settings, "allow_private_networks", False)),
            allowed_hosts=frozenset(getattr(settings, "browser_allowed_hosts", ()) or ()),
        )


@dataclass(frozen=True)
class Decision:
    host: str
    port: int
    addresses: tuple[str, ...]
    reason: str | None  # None: allowed

    @property
    def allowed(self) -> bool:
        return self.reason is None


@dataclass
class BlockedRequest:
    host: str
    port: int
    reason: str


def _canonical_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` -> (host, port)."""
    parts = urlsplit("//" + authority)
    host = parts.hostname or ""
    port = parts.port or default_port
    return _canonical_host(host), port


@dataclass
class NetworkGuard:
    """Checks destinations against a policy and proxies the allowed ones."""

    policy: NetworkPolicy
    connect_timeout: float = 10.0
    #: Recently refused destinations, newest last (bounded; for reports and tests).
    blocked: collections.deque[BlockedRequest] = field(
        default_factory=lambda: collections.deque(maxlen=200)
    )
    port: int = 0

    @property
    def proxy_url(self) -> str:
        if not self.port:
            raise RuntimeError("the guard proxy is not running")
        return f"http://127.0.0.1:{self.port}"

    async def check(self, host: str, port: int) -> Decision:
        """Resolve ``host`` and decide. A host that does not resolve is refused."""
        host = _canonical_host(host)
        if f"{host}:{port}" in self.policy.allowed_hosts:
            addresses = await self._resolve(host, port)
            return Decision(host, port, addresses, None if addresses else "unresolvable")
        addresses = await self._resolve(host, port)
        if not addresses:
            return Decision(host, port, (), "unresolvable")
        for address in addresses:
            reason = blocked_reason(
                address, allow_private_networks=self.policy.allow_private_networks
            )
            if reason is not None:
                return Decision(host, port, addresses, reason)
        return Decision(host, port, addresses, None)

    async def check_url(self, url: str) -> Decision:
        """Check a URL a job wants to open; only http and https are allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GuardBlocked(url, "scheme_not_allowed")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise GuardBlocked(url, "bad_port") from None
        decision = await self.check(parts.hostname, port)
        if not decision.allowed:
            self._record(decision)
            raise GuardBlocked(url, decision.reason or "blocked")
        return decision

    async def _resolve(self, host: str, port: int) -> tuple[str, ...]:
        try:
            ipaddress.ip_address(host)
            return (host,)
        except ValueError:
            pass
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return ()
        seen: list[str] = []
        for info in infos:
            address = str(info[4][0]).split("%")[0]
            if address not in seen:
                seen.append(address)
        return tuple(seen)

    def _record(self, decision: Decision) -> None:
        self.blocked.append(BlockedRequest(decision.host, decision.port, decision.reason or ""))
        log.warning(
            "browser_request_blocked",
            host=decision.host,
            port=decision.port,
            reason=decision.reason,
        )

    # -- the proxy ---------------------------------------------------------------------

    async def serve(
        self, *, task_status: anyio.abc.TaskStatus[int] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen on 127.0.0.1 (an ephemeral port) until cancelled."""
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        async with listener:
            self.port = int(listener.extra(anyio.abc.SocketAttribute.local_port))  # noqa: S610
            task_status.started(self.port)
            await listener.serve(self._handle)

    async def _handle(self, client: anyio.abc.SocketStream) -> None:
        async with client:
            try:
                head, rest = await _read_head(client)
            except (anyio.EndOfStream, anyio.BrokenResourceError, ValueError, OSError):
                return
            try:
                request_line, _, header_block = head.partition(b"\r\n")
                method, target, version = request_line.decode("latin-1").split(" ", 2)
            except ValueError:
                await _reply(client, 400, "bad request")
                return
            if method.upper() == "CONNECT":
                await self._tunnel(client, target, rest)
            else:
                await self._forward(client, method, target, version, header_block, rest)

    async def _open(self, host: str, port: int) -> anyio.abc.SocketStream | Decision:
        decision = await self.check(host, port)
        if not decision.allowed:
            self._record(decision)
            return decision
        last_error: Exception | None = None
        for address in decision.addresses:
            try:
                with anyio.fail_after(self.connect_timeout):
                    return await anyio.connect_tcp(address, port)
            except (OSError, TimeoutError) as exc:
                last_error = exc
        return Decision(host, port, decision.addresses, f"unreachable ({last_error})")

    async def _tunnel(self, client: anyio.abc.SocketStream, target: str, rest: bytes) -> None:
        host, port = _split_authority(target, 443)
        upstream = await self._open(host, port)
        if isinstance(upstream, Decision):
            await _reply(client, 403 if upstream.reason else 502, upstream.reason or "")
            return
        async with upstream:
            await client.send(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if rest:
                await upstream.send(rest)
            await _relay(client, upstream)

    async def _forward(
        self,
        client: anyio.abc.SocketStream,
        method: str,
        target: str,
        version: str,
        header_block: bytes,
        rest: bytes,
    ) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            await _reply(client, 400, "only absolute http:// URLs are proxied")
            return
        host, port = _canonical_host(parts.hostname), parts.port or 80
        upstream = await self._open(host, port)
        if isinstance(upstream, Decision):
            await _reply(client, 403, upstream.reason or "blocked")
            return
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        # One request per upstream connection: the proxy never has to parse a response
        # to know where it ends, and a reused browser connection cannot be steered to
        # another host.
        lines = [f"{method} {path} {version}".encode("latin-1")]
        for line in header_block.split(b"\r\n"):
            name = line.split(b":", 1)[0].strip().lower()
            if line and name not in (
                b"proxy-connection",
                b"proxy-authorization",
                b"connection",
                b"keep-alive",
            ):
                lines.append(line)
        lines.append(b"Connection: close")
        async with upstream:
            await upstream.send(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
            await _relay(client, upstream)


async def _read_head(stream: anyio.abc.SocketStream) -> tuple[bytes, bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > _MAX_HEAD:
            raise ValueError("request head too large")
        buffer += await stream.receive(_CHUNK)
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


async def _reply(stream: anyio.abc.SocketStream, status: int, reason: str) -> None:
    body = f"blocked by the GhostHands network guard: {reason}\n".encode()
    phrase = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}.get(status, "Error")
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nX-GH-Blocked: {reason}\r\n\r\n"
    )
    try:
        await stream.send(head.encode() + body)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass


async def _relay(a: anyio.abc.SocketStream, b: anyio.abc.SocketStream) -> None:
    """Copy both ways; when the upstream side (``b``) finishes, the exchange is over."""

    async def pump(src: anyio.abc.SocketStream, dst: anyio.abc.SocketStream) -> None:
        try:
            async for chunk in src:
                await dst.send(chunk)
            await dst.send_eof()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass

    async with anyio.create_task_group() as tg:

        async def client_to_upstream() -> None:
            await pump(a, b)

        async def upstream_to_client() -> None:
            await pump(b, a)
            tg.cancel_scope.cancel()

        tg.start_soon(client_to_upstream)
        tg.start_soon(upstream_to_client)
