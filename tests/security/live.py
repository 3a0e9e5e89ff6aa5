"""Helpers for the security properties over a real Daphne: a moderator working
through Django's admin, and sessions opened the way a browser opens them."""

import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from tests.e2e.server import ROOT, Daphne

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SELECTED = re.compile(r'name="_selected_action" value="(\d+)"')


class Browser:
    """A cookie-keeping HTTP client, like a browser tab on the server."""

    def __init__(self, server: Daphne):
        self.server = server
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, path: str, form: dict | None = None, json_body: bytes | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else json_body
        request = urllib.request.Request(self.server.base + path, data=data)
        if json_body is not None:
            request.add_header("Content-Type", "application/json")
        with self.opener.open(request, timeout=20) as response:
            return response.status, response.read().decode()

    def delete(self, path: str, csrf: str | None) -> int:
        """A cookie-authenticated DELETE, with the CSRF token a page would send."""
        request = urllib.request.Request(self.server.base + path, method="DELETE")
        if csrf:
            request.add_header("X-CSRFToken", csrf)
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


def session_login(server: Daphne, username: str, password: str = "a long enough passphrase") -> Browser:
    """Sign in with a session cookie through the API, as the web front end does."""
    browser = Browser(server)
    body = f'{{"username": "{username}", "password": "{password}"}}'.encode()
    status, _page = browser.open("/api/v1/auth/session/", json_body=body)
    assert status == 200 and browser.cookie("sessionid")
    return browser


class Moderator(Browser):
    """A staff superuser signed in to /admin/, using the admin actions moderators use."""

    def __init__(self, server: Daphne, username: str, password: str = "a moderator passphrase"):
        super().__init__(server)
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", username,
             "--email", f"{username}@example.org"],
            cwd=ROOT, env={**server.env, "DJANGO_SUPERUSER_PASSWORD": password}, check=True,
            capture_output=True, timeout=60,
        )
        _status, page = self.open("/admin/login/")
        self.open("/admin/login/?next=/admin/", {
            "username": username, "password": password, "csrfmiddlewaretoken": CSRF_FIELD.search(page).group(1),
        })
        assert self.cookie("sessionid"), "the moderator could not sign in to the admin"

    def suspend(self, handle: str) -> None:
        """The admin's "Suspend" action on the actor `handle`."""
        changelist = f"/admin/profiles/actor/?q={urllib.parse.quote(handle)}"
        _status, page = self.open(changelist)
        selected = SELECTED.findall(page)
        assert len(selected) == 1, f"expected one actor for {handle}, found {selected}"
        self.open(changelist, {
            "action": "suspend", "index": "0", "_selected_action": selected[0],
            "csrfmiddlewaretoken": CSRF_FIELD.search(page).group(1),
        })


def run_on_server(server: Daphne, code: str) -> str:
    """Run ORM code in a separate process on the server's database (what a shell or a
    data fix does: no wake-up reaches the server's in-memory channel layer)."""
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=server.env,
                            check=True, capture_output=True, text=True, timeout=60)
    return result.stdout
