"""HTTP Signatures, both ways, on the `cryptography` package.

Outgoing requests are signed as Mastodon signs them (draft-cavage-http-signatures,
`(request-target) host date` plus `digest` when there is a body, rsa-sha256).
Incoming requests are checked as Mastodon checks them
(app/controllers/concerns/signature_verification.rb): the signed headers must
include `(request-target)`, `host` and `date`, and `digest` on a request with a
body; the Digest must match the body; the Date must be inside the window
(FEDERATION_SIGNATURE_MAX_AGE after it, FEDERATION_CLOCK_SKEW before it).
RFC 9421 signatures (`Signature-Input`) are accepted too, verified by
`http-message-signatures`, with the same demands: method and target covered,
Content-Digest covered and matching when there is a body, `created` in the window.

Nothing here reads the database: the caller passes `public_key_for(key_id)`.
"""

import base64
import datetime
import hashlib
import re
from collections.abc import Callable, Mapping
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from federation.keys import load_private, load_public


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or wrong (a 401)."""


def digest_of(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(moment: datetime.datetime | None = None) -> str:
    moment = moment or datetime.datetime.now(datetime.UTC)
    return format_datetime(moment.astimezone(datetime.UTC), usegmt=True)


def sign_request(
    *, method: str, url: str, key_id: str, private_pem: str, body: bytes | None = None,
    date: datetime.datetime | None = None,
) -> dict[str, str]:
    """The headers that sign `method url` (and `body`) with our key: Host, Date,
    Digest when there is a body, and Signature."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = {"Host": request_host(url), "Date": http_date(date)}
    signed = ["(request-target)", "host", "date"]
    if body is not None:
        headers["Digest"] = digest_of(body)
        signed.append("digest")
    values = {"(request-target)": f"{method.lower()} {target}", "host": headers["Host"],
              "date": headers["Date"], "digest": headers.get("Digest", "")}
    signing_string = "\n".join(f"{name}: {values[name]}" for name in signed)
    signature = load_private(private_pem).sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(signed)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def request_host(url: str) -> str:
    """The Host header a client sends for `url`: the port only when it is not the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    default = 443 if parts.scheme == "https" else 80
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


def parse_signature_header(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    position = 0
    value = value.strip()
    while position < len(value):
        match = _PARAM.match(value, position)
        if not match:
            raise SignatureError("Malformed Signature header.")
        params[match.group(1)] = match.group(2)
        position = match.end()
    return params


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _check_window(moment: datetime.datetime, now: datetime.datetime) -> None:
    if moment > now + datetime.timedelta(seconds=settings.FEDERATION_CLOCK_SKEW):
        raise SignatureError("Signed request date is in the future.")
    if moment < now - datetime.timedelta(seconds=settings.FEDERATION_SIGNATURE_MAX_AGE):
        raise SignatureError("Signed request date outside acceptable time window.")


def verify_request(
    *, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
    public_key_for: Callable[[str], str | None], now: datetime.datetime | None = None,
) -> str:
    """Check the request's signature; returns the key id it was signed with.

    `url` is the absolute URL the request was sent to; `body` None means none
    (a GET). Raises SignatureError with the reason otherwise.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    lowered = _lower(headers)
    if "signature-input" in lowered:
        return _verify_rfc9421(method=method, url=url, headers=headers, body=body,
                               public_key_for=public_key_for, now=now)
    raw = lowered.get("signature")
    if raw is None and lowered.get("authorization", "").lower().startswith("signature "):
        raw = lowered["authorization"][len("signature "):]
    if not raw:
        raise SignatureError("Request not signed.")
    params = parse_signature_header(raw)
    key_id, signature_b64 = params.get("keyId"), params.get("signature")
    if not key_id or not signature_b64:
        raise SignatureError("Incompatible request signature: keyId and signature are required.")
    if params.get("algorithm", "rsa-sha256") not in ("rsa-sha256", "hs2019"):
        raise SignatureError("Unsupported signature algorithm.")
    signed = params.get("headers", "date").lower().split()
    if "(request-target)" not in signed:
        raise SignatureError("The (request-target) pseudo-header must be signed.")
    if "host" not in signed:
        raise SignatureError("The Host header must be signed.")
    if "date" not in signed:
        raise SignatureError("The Date header must be signed.")
    if body is not None and "digest" not in signed:
        raise SignatureError("The Digest header must be signed when there is a body.")
    if body is not None:
        digest = lowered.get("digest", "")
        sha256 = [part.split("=", 1)[1] for part in digest.split(",") if part.strip().lower().startswith("sha-256=")]
        if not sha256 or digest_of(body) != "SHA-256=" + sha256[0].strip():
            raise SignatureError("Invalid Digest value.")
    try:
        _check_window(parsedate_to_datetime(lowered.get("date", "")), now)
    except (TypeError, ValueError, IndexError):
        raise SignatureError("Invalid Date header.") from None
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = []
    for name in signed:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in lowered:
            lines.append(f"{name}: {lowered[name]}")
        else:
            raise SignatureError(f"The signed header {name} is missing.")
    pem = public_key_for(key_id)
    if not pem:
        raise SignatureError("The signing key could not be found.")
    try:
        key = load_public(pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureError("Unsupported key type.")
        key.verify(base64.b64decode(signature_b64), "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    except (CryptoInvalidSignature, ValueError):
        raise SignatureError("Verification failed.") from None
    return key_id


class _Message:
    """The request as `http-message-signatures` reads it."""

    def __init__(self, method: str, url: str, headers: Mapping[str, str]):
        self.method = method.upper()
        self.url = url
        self.headers = dict(headers)


def _verify_rfc9421(*, method, url, headers, body, public_key_for, now) -> str:
    from http_message_signatures import HTTPMessageVerifier, InvalidSignature, algorithms
    from http_message_signatures.exceptions import HTTPMessageSignaturesException

    resolved: dict[str, str] = {}

    class KeyResolver:
        def resolve_public_key(self, key_id: str):
            pem = public_key_for(key_id)
            if not pem:
                return None
            resolved["key_id"] = key_id
            return load_public(pem)

    class Verifier(HTTPMessageVerifier):
        max_clock_skew = datetime.timedelta(seconds=settings.FEDERATION_CLOCK_SKEW)

    verifier = Verifier(signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=KeyResolver())
    required = ["@method", "@target-uri"] + (["content-digest"] if body else [])
    try:
        verifier.verify(
            _Message(method, url, headers),
            max_age=datetime.timedelta(seconds=settings.FEDERATION_SIGNATURE_MAX_AGE),
            require_components=required,
            body=body if body else None,
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as error:
        raise SignatureError(f"Verification failed: {error}") from None
    return resolved["key_id"]
