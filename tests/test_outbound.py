"""The outbound HTTP client against real servers on the loopback."""

import socket
import time

import pytest

from novosphere import outbound
from tests.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
     "2002:7f00:1::1", "::", "255.255.255.255"],
)
def test_private_and_reserved_addresses_are_not_public(address):
    assert not outbound.is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses_are_public(address):
    assert outbound.is_public_address(address)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "", "http://",
     "http://user:pass@example.org/", "http://exa mple.org/", "http://example.org:99999/",
     "http://example.org/\n", "//example.org/"],
)
def test_urls_that_are_not_plain_http_are_refused(url):
    with pytest.raises(outbound.RefusedURL):
        outbound.check_url(url, allow_private=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1", "2130706433", "0x7f.1"])
def test_loopback_in_any_spelling_is_refused_without_the_switch(receiver, host):
    with pytest.raises(outbound.RefusedAddress):
        outbound.post(f"http://{host}:{receiver.port}/hook", body=b"{}", allow_private=False)
    with pytest.raises(outbound.RefusedAddress):
        outbound.fetch(f"http://{host}:{receiver.port}/", allow_private=False)
    assert receiver.requests == []


def test_the_switch_lets_loopback_through_and_the_answer_is_returned(receiver):
    answer = outbound.post(
        receiver.url("/hook?x=1"), body=b'{"a": 1}',
        headers={"Content-Type": "application/json"}, allow_private=True,
    )
    assert answer.status == 200 and answer.ok and answer.body == b"ok"
    [request] = receiver.requests
    assert (request.method, request.path, request.body) == ("POST", "/hook?x=1", b'{"a": 1}')
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"


def test_the_name_is_resolved_once_and_the_checked_address_is_the_one_connected(receiver, monkeypatch):
    """A resolver that would answer differently the second time (DNS rebinding) is never asked twice."""
    real = socket.getaddrinfo
    asked = []

    def rebinding_resolver(host, port, *args, **kwargs):
        if host == "hooks.rebind.test":
            asked.append(host)
            if len(asked) > 1:
                raise socket.gaierror("asked twice")
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    answer = outbound.post(
        f"http://hooks.rebind.test:{receiver.port}/in", body=b"x", allow_private=True
    )
    assert answer.status == 200
    assert asked == ["hooks.rebind.test"]
    # The receiver still sees the name it was called by.
    assert receiver.requests[0].headers["host"] == f"hooks.rebind.test:{receiver.port}"


def test_a_name_with_one_private_answer_among_others_is_refused(monkeypatch):
    def mixed(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(outbound.RefusedAddress):
        outbound.check_url("https://mixed.example/", allow_private=False)


def test_an_unresolvable_name_is_refused():
    with pytest.raises(outbound.RefusedURL):
        outbound.check_url("http://no-such-host.invalid/", allow_private=True)


def test_post_never_follows_a_redirect(receiver):
    def redirect(handler):
        handler.send_response(307)
        handler.send_header("Location", "/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answers = [redirect]
    answer = outbound.post(receiver.url("/hook"), body=b"{}", allow_private=True)
    assert answer.status == 307
    time.sleep(0.2)
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_fetch_follows_a_few_redirects_and_no_more(receiver):
    def redirect_to(path):
        def answer(handler):
            handler.send_response(302)
            handler.send_header("Location", path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        return answer

    receiver.answers = [redirect_to("/b"), redirect_to(receiver.url("/c"))]
    answer = outbound.fetch(receiver.url("/a"), allow_private=True)
    assert answer.status == 200 and answer.url == receiver.url("/c")
    assert [r.path for r in receiver.requests] == ["/a", "/b", "/c"]

    receiver.default = redirect_to("/again")
    with pytest.raises(outbound.TooManyRedirects):
        outbound.fetch(receiver.url("/loop"), allow_private=True, max_redirects=2)


def test_fetch_refuses_a_redirect_to_another_scheme(receiver):
    def to_file(handler):
        handler.send_response(301)
        handler.send_header("Location", "file:///etc/passwd")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answers = [to_file]
    with pytest.raises(outbound.RefusedURL):
        outbound.fetch(receiver.url("/a"), allow_private=True)


def test_a_server_that_never_answers_is_cut_off_at_the_timeout(receiver):
    receiver.answers = [lambda handler: time.sleep(5)]
    started = time.monotonic()
    with pytest.raises(outbound.OutboundTimeout):
        outbound.post(receiver.url(), body=b"{}", allow_private=True, timeout=0.5)
    assert time.monotonic() - started < 3


def test_a_server_that_drips_its_body_is_cut_off_at_the_timeout_for_the_whole_exchange(receiver):
    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.1)

    receiver.answers = [drip]
    started = time.monotonic()
    with pytest.raises(outbound.OutboundTimeout):
        outbound.fetch(receiver.url(), allow_private=True, timeout=1.0)
    # Each read was shorter than the timeout; only a deadline on the whole stops it.
    assert time.monotonic() - started < 4


def test_a_declared_body_too_large_is_refused_before_reading(receiver):
    def big(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(10_000_000))
        handler.end_headers()
        handler.wfile.write(b"x" * 1000)

    receiver.answers = [big]
    with pytest.raises(outbound.ResponseTooLarge):
        outbound.fetch(receiver.url(), allow_private=True, max_bytes=5000)


def test_a_chunked_body_that_grows_too_large_is_cut_off(receiver):
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"y" * 4096
        try:
            for _ in range(1000):
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass

    receiver.answers = [endless]
    with pytest.raises(outbound.ResponseTooLarge):
        outbound.fetch(receiver.url(), allow_private=True, max_bytes=50_000)


def test_a_body_within_the_limit_is_read_whole(receiver):
    def page(handler):
        body = b'{"ok": true, "items": [1, 2, 3]}'
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    receiver.answers = [page]
    answer = outbound.fetch(receiver.url(), allow_private=True, headers={"Accept": "application/json"})
    assert answer.json() == {"ok": True, "items": [1, 2, 3]}
    assert answer.headers["content-type"] == "application/json"
    assert receiver.requests[0].headers["accept"] == "application/json"


def test_garbage_instead_of_http_is_a_connection_failure(receiver):
    def garbage(handler):
        handler.wfile.write(b"\x00\xffnot http at all\r\n\r\n")
        handler.close_connection = True

    receiver.answers = [garbage]
    with pytest.raises(outbound.ConnectionFailed):
        outbound.post(receiver.url(), body=b"{}", allow_private=True)


def test_a_closed_port_is_a_connection_failure():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(outbound.ConnectionFailed):
        outbound.post(f"http://127.0.0.1:{port}/", body=b"{}", allow_private=True, timeout=2)


@pytest.fixture
def tls_name(tmp_path, monkeypatch):
    """A certificate for a made-up name, trusted for this test, the name resolving to the loopback."""
    import ssl
    import subprocess

    name = "hooks.tls.test"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True, timeout=60,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        return real("127.0.0.1" if host == name else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with Receiver(tls=context) as server:
        yield name, server


def test_https_to_a_checked_address_still_speaks_tls_to_the_name(tls_name):
    name, receiver = tls_name
    answer = outbound.post(f"https://{name}:{receiver.port}/hook", body=b"{}", allow_private=True)
    assert answer.status == 200
    assert receiver.server_names == [name]  # SNI is the name, not the address
    assert receiver.requests[0].headers["host"] == f"{name}:{receiver.port}"


def test_https_refuses_a_certificate_for_another_name(tls_name):
    _, receiver = tls_name
    with pytest.raises(outbound.ConnectionFailed):
        outbound.post(f"https://127.0.0.1:{receiver.port}/hook", body=b"{}", allow_private=True)
    assert receiver.requests == []
