"""The one HTTP client for every request the service makes outside itself.

Webhook deliveries, federation fetches and deliveries, anything that reaches a
URL a user (or a remote server) gave us, go through here, because such a URL
can point anywhere: at the metadata service of the cloud, at the database on
the private network, at a server that never answers or answers forever.

    from novosphere import outbound

    answer = outbound.fetch(url, headers={"Accept": "application/activity+json"},
                            max_bytes=1_000_000, timeout=10, allow_private=False)
    answer.status, answer.headers["content-type"], answer.body, answer.json()

    answer = outbound.post(url, body=b"{...}", headers={"Content-Type": "application/json"},
                           timeout=10, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE)

    outbound.check_url(url, allow_private=False)   # validation before storing a URL

What it guarantees:

- Only ``http`` and ``https`` URLs, without credentials in them.
- The name is resolved once, every address it resolves to is checked, and the
  connection goes to that checked address (``Host`` and TLS SNI/certificate
  checks still use the name), so a DNS answer cannot swap in a private address
  between the check and the connect. Refused unless ``allow_private``:
  private, loopback, link-local, shared (CGNAT), multicast, reserved and
  unspecified addresses, IPv4-mapped IPv6 forms included. Each caller passes
  its own switch (``WEBHOOKS_ALLOW_PRIVATE``, ``FEDERATION_ALLOW_PRIVATE``).
- ``timeout`` bounds the whole exchange (connect, headers and body), not just
  each socket read, so a server that drips one byte a second is cut off.
- ``max_bytes`` bounds the body: a larger ``Content-Length`` is refused before
  reading, a body that grows past it is cut off. No content decoding (asked
  for ``identity``), so a compressed bomb is not inflated here.
- ``post`` never follows a redirect (the 3xx is the answer); ``fetch``
  follows at most ``max_redirects``, checking each new address the same way.

Every failure is an ``OutboundError`` subclass with a short ``reason`` a log
line or a delivery row can keep; an answer with any status is a
``OutboundResponse`` (the caller decides what a 500 means).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_MAX_REDIRECTS = 3
USER_AGENT = "Novosphere/0.1"
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}


class OutboundError(Exception):
    """A request that could not be made or completed; ``reason`` says why in a word or two."""

    reason = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RefusedURL(OutboundError):
    """Not http(s), malformed, with credentials, or a name that resolves to no address."""

    reason = "refused_url"


class RefusedAddress(OutboundError):
    """The name resolves to an address the caller may not reach (private, loopback, ...)."""

    reason = "refused_address"


class OutboundTimeout(OutboundError):
    reason = "timeout"


class ResponseTooLarge(OutboundError):
    reason = "too_large"


class ConnectionFailed(OutboundError):
    reason = "connection_failed"


class TooManyRedirects(OutboundError):
    reason = "too_many_redirects"


@dataclass
class OutboundResponse:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    url: str  # the URL that answered (after redirects for fetch)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.body)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # the name as given (lower case, no brackets)
    port: int
    path: str  # path and query, never empty
    addresses: tuple[str, ...]  # the checked IPs, tried in order until one connects


def is_public_address(address: str) -> bool:
    """True for an address on the public Internet; the rule the client applies."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour):
            if embedded is not None and not is_public_address(str(embedded)):
                return False
        if ip.teredo is not None:
            return False
    return ip.is_global and not ip.is_multicast


def _split(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise RefusedURL("The URL is empty or contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedURL(f"The URL is malformed: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedURL("Only http and https URLs are accepted.")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("Credentials in the URL are not accepted.")
    host = parts.hostname or ""
    if not host:
        raise RefusedURL("The URL has no host.")
    try:
        host.encode("idna") if not host.isascii() else None
    except UnicodeError:
        raise RefusedURL("The host name is not valid.") from None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _resolve(host: str, port: int, *, allow_private: bool) -> tuple[str, ...]:
    """The addresses to connect to, after checking every address the name has."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedURL(f"The host {host} cannot be resolved.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise RefusedURL(f"The host {host} cannot be resolved.")
    if not allow_private:
        # One private answer is enough to refuse: a name that mixes them is
        # either a mistake or a rebinding attempt.
        for address in addresses:
            if not is_public_address(address):
                raise RefusedAddress(
                    f"The host {host} resolves to a private or reserved address."
                )
    return tuple(addresses)


def _target(url: str, *, allow_private: bool) -> _Target:
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port, allow_private=allow_private)
    return _Target(scheme, host, port, path, addresses)


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise ``RefusedURL`` or ``RefusedAddress`` for a URL the client would refuse."""
    _target(url, allow_private=allow_private)


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: _Target, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    pool_timeout = urllib3.Timeout(connect=timeout, read=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=pool_timeout,
            retries=False,
            maxsize=1,
            # TLS speaks to the name, not the address we connect to.
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=pool_timeout, retries=False, maxsize=1
    )


def _exchange(method: str, target: _Target, **kwargs) -> OutboundResponse:
    """One request, to the first of the checked addresses that accepts a connection."""
    for address in target.addresses[:-1]:
        try:
            return _exchange_with(method, target, address, **kwargs)
        except _NotConnected:
            continue
    try:
        return _exchange_with(method, target, target.addresses[-1], **kwargs)
    except _NotConnected as exc:
        raise ConnectionFailed(f"The connection failed: {exc.__cause__.__class__.__name__}.") from None


class _NotConnected(Exception):
    """No connection could be made to this address (nothing was sent)."""


def _exchange_with(
    method: str,
    target: _Target,
    address: str,
    *,
    body: bytes | None,
    headers: dict[str, str] | None,
    max_bytes: int,
    deadline: float,
    started: float,
    url: str,
) -> OutboundResponse:
    sent_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    sent_headers.update(headers or {})
    sent_headers["Host"] = _host_header(target)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundTimeout("The request timed out.")
    pool = _pool(target, address, remaining)
    try:
        response = pool.urlopen(
            method,
            target.path,
            body=body,
            headers=sent_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=False,
            assert_same_host=False,
        )
        try:
            declared = response.headers.get("content-length")
            if declared and declared.strip().isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(f"The answer is larger than {max_bytes} bytes.")
            chunks: list[bytes] = []
            size = 0
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OutboundTimeout("The answer took too long.")
                sock = getattr(response.connection, "sock", None)
                if sock is not None:
                    sock.settimeout(remaining)
                chunk = response.read1(min(_CHUNK, max_bytes + 1 - size), decode_content=False)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLarge(f"The answer is larger than {max_bytes} bytes.")
                chunks.append(chunk)
        finally:
            response.release_conn()
    except OutboundError:
        raise
    except NewConnectionError as exc:  # a subclass of urllib3's TimeoutError, yet a refusal
        raise _NotConnected() from exc
    except (Urllib3Timeout, TimeoutError):
        raise OutboundTimeout("The request timed out.") from None
    except (Urllib3Error, OSError) as exc:
        raise ConnectionFailed(f"The connection failed: {exc.__class__.__name__}.") from None
    finally:
        pool.close()
    return OutboundResponse(
        status=response.status,
        headers={name.lower(): value for name, value in response.headers.items()},
        body=b"".join(chunks),
        url=url,
        elapsed=time.monotonic() - started,
    )


def fetch(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> OutboundResponse:
    """GET ``url``, following at most ``max_redirects`` redirects, each checked anew."""
    started = time.monotonic()
    deadline = started + timeout
    current = url
    for _ in range(max_redirects + 1):
        target = _target(current, allow_private=allow_private)
        answer = _exchange(
            "GET", target, body=None, headers=headers, max_bytes=max_bytes,
            deadline=deadline, started=started, url=current,
        )
        location = answer.headers.get("location")
        if answer.status not in _REDIRECTS or not location:
            return answer
        current = urljoin(current, location)
    raise TooManyRedirects(f"More than {max_redirects} redirects.")


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
) -> OutboundResponse:
    """POST ``body`` to ``url``; a redirect is returned as the answer, never followed."""
    started = time.monotonic()
    target = _target(url, allow_private=allow_private)
    return _exchange(
        "POST", target, body=body, headers=headers, max_bytes=max_bytes,
        deadline=started + timeout, started=started, url=url,
    )
