"""A real HTTP server on loopback that receives webhooks, for tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    messages: list[Received] = field(default_factory=list)
    status: int = 204
    """What the server answers; set it to 500 to play a failing endpoint."""


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's name
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode()
            receiver = holder[0]
            receiver.messages.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(receiver.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/connect"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder[0], server
