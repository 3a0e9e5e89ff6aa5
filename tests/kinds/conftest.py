"""The events fixtures (an organization and the person who administers it), shared here."""

from tests.events.conftest import cantine, organizer  # noqa: F401 - fixtures
