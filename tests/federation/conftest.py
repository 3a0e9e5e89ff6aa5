import pytest


@pytest.fixture(autouse=True)
def public_url(settings):
    """Every federation test runs as the instance https://rennes.example."""
    settings.PUBLIC_URL = "https://rennes.example"
    settings.FEDERATION_BLOCKED_DOMAINS = []
    return settings.PUBLIC_URL


AP = {"HTTP_ACCEPT": "application/activity+json"}
