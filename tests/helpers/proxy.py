"""A loopback TCP relay that cuts connections: a real network fault between a real client
and a real server, for the upload and download fault tests."""

from __future__ import annotations

import contextlib
import socket
import threading


class CuttingProxy:
    """Relays to a local server; while `cut_after` is set, a connection is dropped once that
    many bytes have gone through it in one direction ("upstream": client to server, the
    middle of an upload; "downstream": server to client, the middle of a download).

    With `once`, only the first connection is cut and the next ones pass untouched (a line
    that drops once); without it every connection is cut while `cut_after` is set.
    """

    def __init__(self, target_port: int, cut_after: int | None = None, *,
                 direction: str = "upstream", once: bool = True) -> None:
        if direction not in ("upstream", "downstream"):
            raise ValueError(direction)
        self.target_port = target_port
        self.cut_after = cut_after
        self.direction = direction
        self.once = once
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._spawn(self._accept)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        first = True
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, server]
            limit = self.cut_after if (first or not self.once) else None
            first = False
            up, down = (limit, None) if self.direction == "upstream" else (None, limit)
            self._spawn(self._pump, client, server, up)
            self._spawn(self._pump, server, client, down)

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: limit - sent])
                    self.cuts += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()
        for t in self._threads:
            t.join(timeout=10)
