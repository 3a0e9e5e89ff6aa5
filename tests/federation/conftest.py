import pytest


@pytest.fixture(autouse=True)
def public_url(settings):
    """Every federation test runs as the instance https://rennes.example."""
    settings.PUBLIC_URL = "https://rennes.example"
    settings.FEDERATION_BLOCKED_DOMAINS = []
    settings.FEDERATION_ALLOW_PRIVATE = True  # the remote instances of these tests are on the loopback
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "rennes.example"]
    return settings.PUBLIC_URL


@pytest.fixture
def remote():
    from tests.federation.remote import RemoteInstance

    instance = RemoteInstance()
    yield instance
    instance.close()


@pytest.fixture
def post_inbox(client, django_capture_on_commit_callbacks):
    """POST a signed activity to one of our inboxes, running what it queues after commit."""
    from tests.federation.remote import django_headers

    def post(remote, name, path, activity, key_of=None, body=None, headers=None):
        signed_body, signed_headers = remote.signed(name, f"https://rennes.example{path}", activity, key_of)
        signed_headers = {**signed_headers, **(headers or {})}
        signed_headers.pop("Host")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, data=body if body is not None else signed_body,
                                   content_type="application/activity+json", HTTP_HOST="rennes.example",
                                   **django_headers(signed_headers))
        drained()
        return response

    return post


AP = {"HTTP_ACCEPT": "application/activity+json"}


@pytest.fixture(autouse=True)
def drains_in_the_test(settings):
    """Deliveries are drained by the test's own thread (`drained()`), as
    `manage.py drain_deliveries` would: the test's transaction is theirs too."""
    settings.DELIVERY_IN_PROCESS_THREADS = 0


def drained() -> int:
    from delivery.services import drain_due

    return drain_due()
