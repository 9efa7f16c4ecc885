#!/usr/bin/python3
"""A stand-in for primeloop's HTTP face, to develop the browser test (tests/live_browser.py)
before the server serves the live page: GET / answers server/live_page.html as it is on disk,
GET /live.json made-up figures, GET /prime/N the nth prime after a delay of its size.

With --inline it behaves as the inline executor does: while /prime/N "computes", nothing else
is answered (one lock held for the whole computation), so the page's polls stall.

    tests/live_standin.py [--port 0] [--inline] [--seconds-per-100k 3]

It prints "http listening on 127.0.0.1:<port>" (as the server does) once it accepts.
"""
import argparse
import json
import math
import pathlib
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = pathlib.Path(__file__).resolve().parent.parent / "server" / "live_page.html"


def nth_prime(n):
    """The nth prime (1-based), by a sieve up to Rosser's bound."""
    limit = 15 if n < 6 else int(n * (math.log(n) + math.log(math.log(n)))) + 1
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\0\0"
    for i in range(2, int(limit ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, limit + 1, i)))
    count = 0
    for i, is_prime in enumerate(sieve):
        count += is_prime
        if count == n:
            return i
    raise ValueError(n)


class State:
    def __init__(self, args):
        self.args = args
        self.loop = threading.Lock()  # inline: the one loop, held while computing
        self.started = time.monotonic()
        self.long_since = None
        self.long_n = 0
        self.last_stall = (0.0, 0.0)  # (when it ended, how long it was)


def handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, content_type, body):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/":
                self.answer(200, "text/html; charset=utf-8", PAGE.read_bytes())
            elif self.path == "/live.json":
                with state.loop if state.args.inline else NoLock():
                    self.answer(200, "application/json", json.dumps(figures(state)))
            elif self.path.startswith("/prime/") and self.path[7:].isdigit():
                self.prime(int(self.path[7:]))
            else:
                self.answer(404, "text/plain", "not found\n")

        def prime(self, n):
            if n < 1 or n > 10_000_000:
                self.answer(400, "text/plain", "n must be 1..10000000\n")
                return
            seconds = state.args.seconds_per_100k * n / 100_000
            with state.loop if state.args.inline else NoLock():
                state.long_since, state.long_n = time.monotonic(), n
                p = nth_prime(n)
                time.sleep(max(0.0, seconds - (time.monotonic() - state.long_since)))
                if state.args.inline:
                    state.last_stall = (time.monotonic(), time.monotonic() - state.long_since)
                state.long_since = None
            self.answer(200, "text/plain", f"{p}\n")

    return Handler


class NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def figures(state):
    now = time.monotonic()
    running = state.long_since is not None
    ended, stall = state.last_stall
    lag_max = stall if now - ended < 1.0 else random.uniform(60e-6, 300e-6)
    return {
        "uptime": now - state.started,
        "executor": "inline" if state.args.inline else "threads",
        "rps": random.randint(38000, 42000),
        "latency": {"p50": random.uniform(80e-6, 120e-6), "p99": random.uniform(0.5e-3, 1.5e-3)},
        "loop_lag": {"p99": min(lag_max, random.uniform(40e-6, 90e-6)), "max": lag_max},
        "workers": {"busy": 1 if running else 0, "total": 1 if state.args.inline else 4},
        "queued": 0,
        "in_flight": 1 if running else 0,
        "long_request": {
            "running": running,
            "n": state.long_n if running else 0,
            "elapsed": now - state.long_since if running else 0,
        },
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--inline", action="store_true", help="stall every answer during /prime/N")
    p.add_argument("--seconds-per-100k", type=float, default=3.0,
                   help="how long /prime/N takes per 100000 of n (default 3)")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(State(args)))
    server.daemon_threads = True
    print(f"http listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
