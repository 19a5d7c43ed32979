"""Which URLs a job or callback may name, as far as the API can tell from the text.

With ``GH_ALLOW_PRIVATE_NETWORKS`` false (production), a target or callback URL whose
host is ``localhost`` or a literal loopback, private, link-local or otherwise
non-public IP address is refused at submission. Names that *resolve* to such addresses
are the fetching side's job to refuse (it checks the address it actually connects to).
``GH_CALLBACK_ALLOWED_NETWORKS`` lets a callback URL name VALET's private address; a
target URL never gets that exception.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ghosthands.netguard import NO_EXCEPTIONS, AllowList, blocked_reason


def is_private_host(url: str, allowed: AllowList = NO_EXCEPTIONS) -> bool:
    """True when the URL's host is localhost or a non-public IP literal that ``allowed``
    does not let through (metadata and link-local addresses never are)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return host not in allowed.hosts
    try:
        # "http://2130706433/" is 127.0.0.1 to a browser.
        address = ipaddress.ip_address(int(host) if host.isdigit() else host)
    except ValueError:
        return False
    return (
        blocked_reason(address, allow_private_networks=False, host=host, allowed=allowed)
        is not None
    )
