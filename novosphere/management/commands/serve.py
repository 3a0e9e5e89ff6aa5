"""Serve with every core of the box: several Daphne processes on one port, websockets on their own.

    REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://... \\
        .venv/bin/python manage.py serve --port 8000 --workers 2 --ws-port 8001 --celery

The command opens the listening sockets itself (one per process, SO_REUSEPORT) and
hands each to its Daphne process (`python -m novosphere.wsserver --fd`: Daphne, see there), so the
kernel spreads connections over them with no proxy in front. With `--ws-port`, websocket clients connect there, to processes
that no REST request makes wait (a proxy in front routes `/ws/` to it; the API
answers websockets on both ports either way). `--celery` adds a Celery worker
with the beat sweeps. A process that dies is started again, with one log line.

More than one process needs `REDIS_URL`: the channel layer, the read cache's
generation and the background work must be shared. `make run` keeps the
embedded default (SQLite, in-memory layer): one process.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

logger = logging.getLogger("novosphere.serve")

BIN = Path(sys.executable).parent


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per process, all on `port`: with SO_REUSEPORT the kernel
    spreads new connections evenly over them. On one shared socket, whichever process
    woke first accepted a whole burst of keep-alive connections and served them all
    while the others idled (two processes served no more than one). Without
    SO_REUSEPORT the processes share one socket."""
    reuse_port = hasattr(socket, "SO_REUSEPORT")
    first = _listening_socket(host, port, reuse_port=reuse_port)
    if not reuse_port:
        return [first] * count
    port = first.getsockname()[1]  # the one the first took, when asked for any (0)
    return [first] + [_listening_socket(host, port, reuse_port=True) for _n in range(count - 1)]


def _listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class Command(BaseCommand):
    help = "Serve REST and websockets with several Daphne processes (and a Celery worker)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                            help="Daphne processes on --port (default: one per core)")
        parser.add_argument("--ws-port", type=int, help="a second socket for websocket clients")
        parser.add_argument("--ws-workers", type=int, default=1, help="Daphne processes on --ws-port")
        parser.add_argument("--celery", action="store_true", help="also run a Celery worker with beat")
        parser.add_argument("--access-log", action="store_true", help="one line per request on stdout")

    def handle(self, *args, **options):
        processes = options["workers"] + (options["ws_workers"] if options["ws_port"] else 0)
        if processes > 1 and not settings.REDIS_URL:
            raise CommandError(_("Several processes need REDIS_URL (channel layer, read cache, background work)."))
        plan = []  # (label, argv, fds)
        sockets = []
        # Daphne with the live stream's frame shortcut (novosphere/wsserver.py), same arguments.
        daphne = [sys.executable, "-m", "novosphere.wsserver"] + (["--access-log", "-"] if options["access_log"] else [])
        for port, count, label in ((options["port"], options["workers"], "web"),
                                   (options["ws_port"], options["ws_workers"], "websocket")):
            if not port or count < 1:
                continue
            own = listening_sockets(options["host"], port, count)
            sockets += own
            for n, sock in enumerate(own):
                plan.append((f"{label}-{n + 1}", [*daphne, "--fd", str(sock.fileno()),
                                                  "novosphere.asgi:application"], [sock.fileno()]))
            logger.info("serve listening role=%s address=%s:%s processes=%s", label, options["host"], port, count)
        if options["celery"]:
            plan.append(("celery", [str(BIN / "celery"), "-A", "novosphere", "worker", "-B", "--loglevel=INFO",
                                    "-s", "/tmp/novosphere-celerybeat-schedule"], []))
        self.supervise(plan)

    def supervise(self, plan) -> None:
        running: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        def start(label, argv, fds):
            running[label] = subprocess.Popen(argv, pass_fds=fds, cwd=settings.BASE_DIR)
            logger.info("serve started process=%s pid=%s", label, running[label].pid)

        for entry in plan:
            start(*entry)
        by_label = {label: (label, argv, fds) for label, argv, fds in plan}
        try:
            while not stopping:
                time.sleep(0.5)
                for label, process in list(running.items()):
                    if process.poll() is not None and not stopping:
                        logger.warning("serve process exited process=%s code=%s; starting it again",
                                       label, process.returncode)
                        start(*by_label[label])
        finally:
            for process in running.values():
                process.terminate()
            for process in running.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            logger.info("serve stopped processes=%s", len(running))
