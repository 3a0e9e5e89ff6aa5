"""Server cost of one frame fanned out to N sockets of one process, three ways (issue 17).

`bench/realtime.py` measures the whole path, its own Python client included, which
on a small shared box is often what is measured. This one measures the server
alone: one `python -m novosphere.wsserver` process serving a tiny ASGI
application (below) holds `--connections` sockets whose clients read nothing
while the frame is sent (the kernel's buffers take it), and a control socket
asks it to send one ~1.5 KB frame to every socket:

- `asgi`: the ASGI send, as under plain Daphne (Daphne's reply, autobahn's
  framing per socket, Twisted's buffered write);
- `prepared`: framed once per text, then Twisted's buffered write (`sendData`),
  the first half of novosphere/wsserver.py alone;
- `shortcut`: `send_text`, what the hub uses (framed once, one `send` per socket).

It prints, per way, the median over `--reps` of the loop's wall time and of the
process's CPU time (the loop, plus the 0.3 s after it in which Twisted writes
what it buffered), per socket.

    .venv/bin/python bench/fanout.py --connections 10000 --reps 7
"""

import argparse
import asyncio
import base64
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("asgi", "prepared", "shortcut")

# --- the server's application --------------------------------------------------

_sockets: list = []  # (ASGI send, send_text) of each measured socket


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _fan_out(way: str, size: int) -> dict:
    from novosphere.wsserver import _prepared

    text = json.dumps({"type": "activity", "body": "é" * 10 + "x" * size, "at": time.time()}, ensure_ascii=False)
    await asyncio.sleep(0.3)  # what the last command left is written
    cpu, start = _cpu(), time.perf_counter()
    for count, (send, send_text) in enumerate(_sockets, 1):
        if way == "asgi":
            await send({"type": "websocket.send", "text": text})
        elif way == "prepared":
            protocol = send_text.args[1]  # the partial's (server, protocol)
            protocol.sendData(_prepared(text).payloadHybi)
        else:
            send_text(text)
        if not count % 500:
            await asyncio.sleep(0)  # as the hub does (feeds/hub.py YIELD_EVERY)
    loop = time.perf_counter() - start
    await asyncio.sleep(0.3)  # Twisted's deferred writes of what it buffered land here
    used = _cpu() - cpu
    n = max(len(_sockets), 1)
    return {"way": way, "n": len(_sockets), "loop_us": loop / n * 1e6, "cpu_us": used / n * 1e6}


async def application(scope, receive, send):
    if scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] != "websocket":
        return
    send_text = scope["extensions"]["novosphere.frames"]["send_text"]
    await receive()
    await send({"type": "websocket.accept"})
    if not scope["path"].endswith("/control"):
        _sockets.append((send, send_text))
    while (message := await receive())["type"] != "websocket.disconnect":
        command = json.loads(message["text"])
        result = await _fan_out(command["way"], command["size"])
        await send({"type": "websocket.send", "text": json.dumps(result)})


# --- the client ------------------------------------------------------------------


def _handshake(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def _send_text(sock: socket.socket, value: str) -> None:
    payload, mask = value.encode(), os.urandom(4)
    assert len(payload) < 126
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def _receive_text(sock: socket.socket) -> str:
    head = sock.recv(2, socket.MSG_WAITALL)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(sock.recv(2, socket.MSG_WAITALL), "big")
    return sock.recv(length, socket.MSG_WAITALL).decode()


def _drain(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        try:
            while sock.recv(1 << 16, socket.MSG_DONTWAIT):
                pass
        except BlockingIOError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=7, help="fan-outs per way, interleaved (default 7)")
    parser.add_argument("--size", type=int, default=1500, help="frame size in characters (default 1500)")
    parser.add_argument("--smoke", action="store_true", help="a tiny run that takes seconds (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.connections, args.reps = 50, 1
    sys.path.insert(0, str(ROOT))
    from bench.common import raise_fd_limit
    from tests.e2e.server import free_port

    raise_fd_limit(args.connections + 1024)
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_LEVEL": "WARNING"}
    log = open(f"/tmp/bench-fanout-{port}.log", "w")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        [sys.executable, "-m", "novosphere.wsserver", "-v", "0", "--ping-interval", "3600", "--ping-timeout", "3600",
         "-b", "127.0.0.1", "-p", str(port), "bench.fanout:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit(f"the server did not start: see {log.name}")
                time.sleep(0.1)
        sockets = [_handshake(port, "/ws/fan") for _ in range(args.connections)]
        control = _handshake(port, "/ws/control")
        results: dict[str, list[dict]] = {way: [] for way in WAYS}
        for _ in range(args.reps):
            for way in WAYS:
                _send_text(control, json.dumps({"way": way, "size": args.size}))
                results[way].append(json.loads(_receive_text(control)))
                _drain(sockets)
        print(f"\n=== one frame to {args.connections} sockets of one server process, median of {args.reps} ===")
        print(f"  {'way':<10}{'loop wall / socket':>22}{'server CPU / socket':>22}   CPU of each run (µs)")
        for way, runs in results.items():
            print(f"  {way:<10}{statistics.median(r['loop_us'] for r in runs):>19.1f} µs"
                  f"{statistics.median(r['cpu_us'] for r in runs):>19.1f} µs   "
                  + ", ".join(f"{r['cpu_us']:.0f}" for r in runs))
        for sock in sockets:
            sock.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


if __name__ == "__main__":
    main()
