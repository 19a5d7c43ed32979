"""The network guard refuses non-public addresses, on the resolved address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ghosthands.netguard import BlockedAddressError, check_host, guarded_client, is_blocked_address
from tests.worker.helpers import Site

pytestmark = pytest.mark.anyio

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "224.0.1.1",  # multicast (global scope, still refused)
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",  # unique local
    "fe80::1",  # link-local
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert is_blocked_address(address)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_blocked_address(address)


async def test_names_are_checked_on_what_they_resolve_to() -> None:
    with pytest.raises(BlockedAddressError) as caught:
        await check_host("localhost", 80, allow_private=False)
    assert caught.value.address in ("127.0.0.1", "::1")
    assert await check_host("localhost", 80, allow_private=True)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.close()


async def test_guarded_client_refuses_before_connecting(site: Site) -> None:
    async with guarded_client(allow_private=False) as client:
        for url in (f"{site.url}/page/a", f"http://localhost:{site.server.port}/page/b"):
            with pytest.raises(BlockedAddressError):
                await client.get(url)
    assert site.hits == {}
    async with guarded_client(allow_private=True, follow_redirects=True) as client:
        response = await client.get(f"http://localhost:{site.server.port}/redirect")
    assert response.status_code == 200 and response.url.path == "/page/redirected"


async def test_unresolvable_names_are_network_errors() -> None:
    async with guarded_client(allow_private=False) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("http://no-such-host.invalid/")


def test_the_callback_allow_list_opens_named_private_destinations_only() -> None:
    from ghosthands.api.decoding import ValidationFailed
    from ghosthands.api.services import check_urls
    from ghosthands.config import ConfigError, load_settings
    from ghosthands.netguard import AllowList, blocked_reason

    allowed = AllowList.parse("valet.internal, 10.20.0.0/16, 172.31.4.7")
    assert blocked_reason("10.20.3.4", allow_private_networks=False, allowed=allowed) is None
    assert blocked_reason("10.21.0.1", allow_private_networks=False, allowed=allowed) == "private"
    assert (
        blocked_reason("10.9.9.9", allow_private_networks=False, host="valet.internal",
                       allowed=allowed)
        is None
    )  # fmt: skip
    # Metadata and link-local stay closed whatever the list says.
    wide = AllowList.parse("169.254.0.0/16")
    assert blocked_reason("169.254.169.254", allow_private_networks=False, allowed=wide)
    with pytest.raises(ValueError, match="neither a host name"):
        AllowList.parse("http://x/")

    settings = load_settings({"GH_CALLBACK_ALLOWED_NETWORKS": "10.20.0.0/16"})
    check_urls(settings, callback_url="http://10.20.0.5/hooks")  # VALET in the VPC: fine
    with pytest.raises(ValidationFailed) as refused:
        check_urls(settings, target_url="http://10.20.0.5/", callback_url=None)
    assert [e.field for e in refused.value.errors] == ["target_url"]
    with pytest.raises(ConfigError, match="GH_CALLBACK_ALLOWED_NETWORKS"):
        load_settings({"GH_CALLBACK_ALLOWED_NETWORKS": "10.0.0.0/8, not a host"})
