"""Who is asking, and under which name the service answers.

The client's address is `REMOTE_ADDR`, the peer of the TCP connection: the
only part of a request a client cannot choose. `X-Forwarded-For`,
`X-Forwarded-Proto` and `X-Forwarded-Host` say something only when a proxy
we run wrote them, so they are read only from the peers listed in
`TRUSTED_PROXIES` (addresses or networks), as Django's documentation advises
(`REMOTE_ADDR` "can be trusted"; a forwarded header only when "you know the
proxy sets it"). From anyone else they are dropped before any code sees them:
rate limits, `request.scheme` (`SECURE_PROXY_SSL_HEADER`) and the links the
service builds can then be trusted.

Links (`next` pages, `.ics` URLs) are built from `PUBLIC_URL` when it is set;
otherwise from the `Host` header's name (checked against `ALLOWED_HOSTS`) and
the port the connection really arrived on, never a port the client wrote.
"""

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(meta: dict) -> str:
    """The address of the client: the peer, or what our own proxies say the client was.

    Through trusted proxies, the right-most `X-Forwarded-For` entry that is not one
    of them (each proxy appends the peer it saw; entries to the left of it were
    written by the client and prove nothing)."""
    peer = meta.get("REMOTE_ADDR") or ""
    if not _is_trusted(peer):
        return peer
    chain = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(chain):
        if not _is_trusted(hop):
            return hop
    return chain[0] if chain else peer


def public_base(request) -> str:
    """`scheme://host[:port]` the service's links start with."""
    if settings.PUBLIC_URL:
        parts = urlsplit(settings.PUBLIC_URL)
        return f"{parts.scheme}://{parts.netloc}"
    scheme = request.scheme
    host = request.get_host()  # validated against ALLOWED_HOSTS
    if _is_trusted(request.META.get("REMOTE_ADDR") or ""):
        return f"{scheme}://{host}"  # our proxy wrote the Host the client asked for
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    port = str(request.META.get("SERVER_PORT") or "")
    default = {"http": "80", "https": "443"}.get(scheme)
    return f"{scheme}://{name}" if not port or port == default else f"{scheme}://{name}:{port}"


class ForwardedHeadersMiddleware:
    """First of the middleware: forwarded headers count only from `TRUSTED_PROXIES`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if not _is_trusted(meta.get("REMOTE_ADDR") or ""):
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        request.client_address = client_address(meta)
        # Every absolute URL Django and DRF build (`build_absolute_uri`: pagination's
        # `next`, our links) starts from this cached value: set it once, here.
        try:
            request.__dict__["_current_scheme_host"] = public_base(request)
        except DisallowedHost:  # CommonMiddleware answers it with a 400
            pass
        return self.get_response(request)
