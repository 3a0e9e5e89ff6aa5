"""A real SMTP server (aiosmtpd) on the loopback, and the service sending to it."""

import email
import email.policy
import re
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

KEY = re.compile(r"^\s{4}(\S{20,})\s*$", re.MULTILINE)


class Inbox:
    """What the SMTP server received, parsed as e-mail messages."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.envelopes.append(envelope)
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 10) -> list:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return self.messages

    def last_to(self, address: str):
        for message in reversed(self.messages):
            if address.lower() in message["To"].lower():
                return message
        raise AssertionError(f"no e-mail to {address}; got {[m['To'] for m in self.messages]}")


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def key_in(message) -> str:
    """The key as a person reads it in the plain text part."""
    found = KEY.findall(text_of(message))
    assert len(found) == 1, text_of(message)
    return found[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server for this test; the service's EMAIL_URL points at it."""
    import environ

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    # As settings.py reads EMAIL_URL, so the parsing is exercised too.
    for name, value in environ.Env.email_url_config(f"smtp://127.0.0.1:{controller.port}").items():
        if value not in (None, ""):
            setattr(settings, name, value)
    settings.DEFAULT_FROM_EMAIL = "Novosphère <noreply@novosphere.test>"
    inbox.port = controller.port
    yield inbox
    controller.stop()
