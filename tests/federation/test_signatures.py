"""HTTP Signatures as Mastodon sends and checks them, with our own keys: each of
the cases its signature_verification.rb refuses is refused here too."""

import datetime
import json

import pytest
from http_message_signatures import HTTPMessageSigner, algorithms

from federation.keys import _new_pair, load_private
from federation.signatures import SignatureError, sign_request, verify_request

KEY_ID = "https://remote.example/users/ana#main-key"
URL = "https://rennes.example/actors/camille/inbox"
BODY = json.dumps({"type": "Follow", "actor": "https://remote.example/users/ana"}).encode()


@pytest.fixture(scope="module")
def pair():
    return _new_pair()


@pytest.fixture(scope="module")
def other_pair():
    return _new_pair()


def keys_of(pair):
    return lambda key_id: pair[1] if key_id == KEY_ID else None


def signed_post(pair, url=URL, body=BODY, date=None):
    return sign_request(method="POST", url=url, key_id=KEY_ID, private_pem=pair[0], body=body, date=date)


def test_a_signed_post_verifies_and_names_its_key(pair):
    headers = signed_post(pair)
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair)) == KEY_ID


def test_a_signed_get_verifies_without_a_digest(pair):
    headers = sign_request(method="GET", url=URL, key_id=KEY_ID, private_pem=pair[0])
    assert "Digest" not in headers
    assert verify_request(method="GET", url=URL, headers=headers, body=None, public_key_for=keys_of(pair)) == KEY_ID


def test_headers_are_read_whatever_their_case(pair):
    headers = {name.lower(): value for name, value in signed_post(pair).items()}
    assert verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair))


def test_unsigned_request_is_refused(pair):
    with pytest.raises(SignatureError, match="not signed"):
        verify_request(method="POST", url=URL, headers={"Date": "x"}, body=BODY, public_key_for=keys_of(pair))


def test_wrong_path_is_refused(pair):
    headers = signed_post(pair)
    with pytest.raises(SignatureError, match="Verification failed"):
        verify_request(method="POST", url="https://rennes.example/inbox", headers=headers, body=BODY,
                       public_key_for=keys_of(pair))


def test_wrong_method_is_refused(pair):
    headers = sign_request(method="GET", url=URL, key_id=KEY_ID, private_pem=pair[0])
    headers["Digest"] = signed_post(pair)["Digest"]
    with pytest.raises(SignatureError):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair))
    # and with the digest signed too, a POST signature does not pass as a PUT
    with pytest.raises(SignatureError, match="Verification failed"):
        verify_request(method="PUT", url=URL, headers=signed_post(pair), body=BODY, public_key_for=keys_of(pair))


def test_stale_date_is_refused(pair):
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=13)
    with pytest.raises(SignatureError, match="time window"):
        verify_request(method="POST", url=URL, headers=signed_post(pair, date=old), body=BODY,
                       public_key_for=keys_of(pair))


def test_date_far_in_the_future_is_refused(pair):
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    with pytest.raises(SignatureError, match="future"):
        verify_request(method="POST", url=URL, headers=signed_post(pair, date=later), body=BODY,
                       public_key_for=keys_of(pair))


def test_a_date_within_the_window_passes(pair):
    recent = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=11)
    assert verify_request(method="POST", url=URL, headers=signed_post(pair, date=recent), body=BODY,
                          public_key_for=keys_of(pair))


def test_unsigned_digest_is_refused(pair):
    """A POST signed over `(request-target) host date` only: its body could be anything."""
    headers = sign_request(method="POST", url=URL, key_id=KEY_ID, private_pem=pair[0])
    headers["Digest"] = signed_post(pair)["Digest"]
    with pytest.raises(SignatureError, match="Digest header must be signed"):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair))


def test_tampered_body_is_refused(pair):
    headers = signed_post(pair)
    tampered = BODY.replace(b"Follow", b"Delete")
    with pytest.raises(SignatureError, match="Invalid Digest"):
        verify_request(method="POST", url=URL, headers=headers, body=tampered, public_key_for=keys_of(pair))


def test_a_digest_rewritten_to_match_the_tampered_body_breaks_the_signature(pair):
    from federation.signatures import digest_of

    headers = signed_post(pair)
    tampered = BODY.replace(b"Follow", b"Delete")
    headers["Digest"] = digest_of(tampered)
    with pytest.raises(SignatureError, match="Verification failed"):
        verify_request(method="POST", url=URL, headers=headers, body=tampered, public_key_for=keys_of(pair))


def test_another_key_is_refused(pair, other_pair):
    headers = sign_request(method="POST", url=URL, key_id=KEY_ID, private_pem=other_pair[0], body=BODY)
    with pytest.raises(SignatureError, match="Verification failed"):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair))


def test_an_unknown_key_is_refused(pair):
    with pytest.raises(SignatureError, match="could not be found"):
        verify_request(method="POST", url=URL, headers=signed_post(pair), body=BODY, public_key_for=lambda _k: None)


def test_host_must_be_signed(pair):
    headers = signed_post(pair)
    headers["Signature"] = headers["Signature"].replace("(request-target) host date digest", "(request-target) date digest")
    with pytest.raises(SignatureError, match="Host header must be signed"):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair))


def test_garbage_signature_header_is_refused(pair):
    headers = {**signed_post(pair), "Signature": 'keyId="x",signature=unquoted'}
    with pytest.raises(SignatureError):
        verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair))


# --- RFC 9421 --------------------------------------------------------------------


class Message:
    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method, url, headers


def rfc9421_post(pair, body=BODY, url=URL, created=None):
    headers = {"Content-Type": "application/activity+json"}
    message = Message("POST", url, headers)

    class Keys:
        def resolve_private_key(self, key_id):
            return load_private(pair[0])

    HTTPMessageSigner(signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=Keys()).sign(
        message, key_id=KEY_ID, created=created, body=body,
        covered_component_ids=("@method", "@target-uri"),
    )
    return headers


def test_an_rfc9421_signature_verifies(pair):
    headers = rfc9421_post(pair)
    assert verify_request(method="POST", url=URL, headers=headers, body=BODY, public_key_for=keys_of(pair)) == KEY_ID


def test_an_rfc9421_signature_on_another_path_or_body_is_refused(pair):
    headers = rfc9421_post(pair)
    with pytest.raises(SignatureError):
        verify_request(method="POST", url="https://rennes.example/inbox", headers=headers, body=BODY,
                       public_key_for=keys_of(pair))
    with pytest.raises(SignatureError):
        verify_request(method="POST", url=URL, headers=headers, body=BODY + b" ", public_key_for=keys_of(pair))


def test_a_stale_rfc9421_signature_is_refused(pair):
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=13)
    with pytest.raises(SignatureError):
        verify_request(method="POST", url=URL, headers=rfc9421_post(pair, created=old), body=BODY,
                       public_key_for=keys_of(pair))
