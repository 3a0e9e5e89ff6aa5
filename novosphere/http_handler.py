"""Django's HTTP requests under ASGI, each run in one hop to a thread of a pool.

Django's own ASGIHandler gives every request a new thread (a thread-sensitive
context per request), hence a new database connection object, and crosses
between it and the event loop three times, since our middleware is synchronous:
into the middleware, back out to the async core, into the view. Here the body
is read on the event loop, then the whole synchronous request (signals,
middleware, view, rendering) runs in one call on a long-lived thread of a
small pool, as under WSGI, and the answer is sent from the loop. The threads
overlap their database waits; the pool bounds how many requests contend for
the interpreter at once. The read cache (novosphere.read_cache) still answers
its hits without leaving the loop.

A streaming response (the open-data exports) is consumed on the thread that
built it, which holds its database connection and cursor, each chunk sent
through the loop; a client that goes away ends the stream at the next chunk.
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


def get_pooled_asgi_application():
    """What `django.core.asgi.get_asgi_application` returns, with the requests run on
    `HTTP_THREADS` threads."""
    django.setup(set_prefix=False)
    return PooledASGIHandler(settings.HTTP_THREADS)


class PooledASGIHandler(ASGIHandler):
    """An ASGI app for Django's HTTP requests, on a pool of `threads` threads (see the module)."""

    def __init__(self, threads: int):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # the synchronous chain, as under WSGI
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")
        self._serve = sync_to_async(self.serve, thread_sensitive=False, executor=self.executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        watch = Watch(receive)
        try:
            answer = await self._serve(scope, body_file, send, watch)
        finally:
            watch.stop()
        if answer is not None:  # a whole body: sent from here, as Django's handler sends it
            await self.send_response(answer, send)

    def serve(self, scope, body_file, send, watch: "Watch"):
        """The request, on a pool thread: its response, closed, for a whole body to send; None
        when it was a streaming response, sent from here already."""
        try:
            set_script_prefix(get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = self.get_response(request)
            response._handler_class = self.__class__
            try:
                if not response.streaming:
                    return response
                if isinstance(response, FileResponse):
                    response.block_size = self.chunk_size
                self.stream(response, async_to_sync(send), watch)
                return None
            finally:
                response.close()  # request_finished: this thread's connection goes back to the pool
        finally:
            body_file.close()

    def stream(self, response, send, watch: "Watch") -> None:
        send(start_message(response))
        async_to_sync(watch.start)()
        for part in response:
            if watch.gone.is_set():
                return  # the client left: stop reading the export
            for chunk, _last in self.chunk_bytes(part):
                send({"type": "http.response.body", "body": chunk, "more_body": True})
        send({"type": "http.response.body"})


def start_message(response) -> dict:
    """The `http.response.start` message of a streaming `response`, with its headers and
    cookies as `ASGIHandler.send_response` sends them (which cannot stream from this thread)."""
    headers = [
        (header.encode("ascii") if isinstance(header, str) else bytes(header),
         value.encode("latin1") if isinstance(value, str) else bytes(value))
        for header, value in response.items()
    ]
    headers += [(b"Set-Cookie", cookie.output(header="").encode("ascii").strip()) for cookie in response.cookies.values()]
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


class Watch:
    """Tells a streaming thread that its client disconnected. Listens only once a
    response streams: a whole body is sent at once and needs no listener."""

    def __init__(self, receive):
        self.receive = receive
        self.gone = threading.Event()
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.gone.set()

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
