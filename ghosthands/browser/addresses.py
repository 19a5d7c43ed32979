"""Which IP addresses a job's browser may reach.

One small pure function, so the policy can be read in one place and tested alone.
NOTE for the merge: the worker's ``ghosthands/netguard.py`` classifies addresses for
callbacks; the two must become one definition.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services. Blocked even when private networks are allowed: no job,
#: in any environment, has a reason to read instance credentials.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DO
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("168.63.129.16"),  # Azure wire server
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
    }
)

# Carrier-grade NAT and the benchmarking range are "private" for our purposes.
_EXTRA_PRIVATE = (
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("198.18.0.0/15"),
)


def classify_address(address: str | IPAddress) -> str:
    """Name the kind of ``address``.

    One of ``metadata``, ``link_local``, ``unspecified``, ``multicast``, ``reserved``,
    ``loopback``, ``private`` or ``public``. IPv4-mapped IPv6 addresses are judged as
    the IPv4 address they carry, so ``::ffff:127.0.0.1`` is loopback.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return classify_address(mapped)
    if ip in METADATA_ADDRESSES:
        return "metadata"
    if ip.is_link_local:
        return "link_local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return "loopback"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private or any(ip in net for net in _EXTRA_PRIVATE if ip.version == net.version):
        return "private"
    return "public"


#: Kinds no job may reach whatever the settings say.
ALWAYS_BLOCKED = frozenset({"metadata", "link_local", "unspecified", "multicast", "reserved"})
#: Kinds reachable only with ``GH_ALLOW_PRIVATE_NETWORKS=true`` (dev, demo).
PRIVATE_KINDS = frozenset({"loopback", "private"})


def blocked_reason(address: str | IPAddress, *, allow_private_networks: bool) -> str | None:
    """Why ``address`` may not be reached, or None when it may."""
    kind = classify_address(address)
    if kind in ALWAYS_BLOCKED:
        return kind
    if kind in PRIVATE_KINDS and not allow_private_networks:
        return kind
    return None
