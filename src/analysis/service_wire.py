"""The service's side of the wire (service.py): a client's connection, its request read and checked, and the
streams that carry a command's output back. Split from service.py (what the service does with a request).

A request is one JSON object on one line, at most MAX_REQUEST bytes: the protocol version, a served command
with short string arguments, the client's code fingerprint and environment. Anything else is refused, and a
malformed request never stops the service (it refuses that one and takes the next).
"""
from __future__ import annotations

import io
import json
import socket
import struct
import threading

from .service_client import MAX_REQUEST, PROTOCOL, SERVED

MAX_ARGS, MAX_ARG_CHARS = 64, 4096


class Channel:
    """One client's connection: JSON lines out, from any thread; once the client has gone, output is dropped."""

    def __init__(self, conn: socket.socket):
        self.conn, self.lock, self.gone = conn, threading.Lock(), False

    def send(self, frame: dict) -> None:
        with self.lock:
            if self.gone:
                return
            try:
                self.conn.sendall(json.dumps(frame, ensure_ascii=False).encode() + b"\n")
            except OSError:
                self.gone = True

    def still_there(self) -> bool:
        """False when the client closed its end while it waited (Ctrl-C): its command is then not run."""
        import select

        try:
            readable, _, _ = select.select([self.conn], [], [], 0)
            # a client sends nothing after its request: readable now means it closed its end
            return not readable or self.conn.recv(1, socket.MSG_PEEK) != b""
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass


class Stream(io.TextIOBase):
    """sys.stdout or sys.stderr while a command runs: what it prints goes to the client, in order.
    No file descriptor (fileno raises io.UnsupportedOperation, as for any in-memory stream)."""

    encoding, errors = "utf-8", "strict"

    def __init__(self, channel: Channel, kind: str):
        super().__init__()
        self.channel, self.kind = channel, kind

    def write(self, text: str) -> int:
        if text:
            self.channel.send({"kind": self.kind, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def peer_uid(conn: socket.socket) -> int | None:
    """The connecting process's user id (Linux SO_PEERCRED); None where the system does not say."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (AttributeError, OSError):
        return None
    return struct.unpack("3i", creds)[1]


class EmptyRequest(Exception):
    """A connection closed before sending anything: a liveness probe, not a request."""


def printable(text: str) -> str:
    """Text for the service's terminal: control characters (ESC, BEL, ...) shown escaped, never acted on."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def read_request(conn: socket.socket) -> dict:
    """The client's request, checked: a served command with string arguments, within MAX_REQUEST bytes.

    ValueError for anything else (the service never runs what it was not built to run)."""
    conn.settimeout(10)
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            if not data:
                raise EmptyRequest
            raise ValueError("the client closed the connection before its request ended")
        data += chunk
        if len(data) > MAX_REQUEST:
            raise ValueError(f"request longer than {MAX_REQUEST} bytes")
    request = json.loads(data.split(b"\n", 1)[0])
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    argv = request.get("argv")
    if request.get("protocol") != PROTOCOL or not isinstance(argv, list) or not argv or len(argv) > MAX_ARGS:
        raise ValueError("not a request of this version")
    if not all(isinstance(a, str) and len(a) <= MAX_ARG_CHARS and "\0" not in a for a in argv):
        raise ValueError("arguments must be short strings")
    if argv[0] not in SERVED:
        raise ValueError(f"{argv[0]!r} is not a command the service runs ({', '.join(SERVED)})")
    if not isinstance(request.get("fingerprint"), str) or not isinstance(request.get("environment"), dict):
        raise ValueError("fingerprint and environment missing")
    return request
