"""A small TCP proxy the fault tests put between the coach and a shared service (PostgreSQL,
Redis), so a test can cut that service off for the coach alone, never stopping the machine's
shared server that other helpers and suites use.

    proxy = TcpProxy(5432).start()      # the coach connects to 127.0.0.1:proxy.port
    proxy.sever()                        # open connections are reset, new ones refused
    proxy.freeze()                       # connections are accepted and then hang: nothing passes
    proxy.restore()                      # traffic flows again
"""

from __future__ import annotations

import select
import socket
import threading
from typing import List, Optional, Tuple


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.state = "open"  # open | severed | frozen
        self._listener: Optional[socket.socket] = None
        self._pairs: List[Tuple[socket.socket, socket.socket]] = []
        self._held: List[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = False

    # -- control -------------------------------------------------------------------------------
    def start(self) -> TcpProxy:
        self._listen()
        return self

    def sever(self) -> None:
        """Like the service going away: every connection reset, new ones refused."""
        with self._lock:
            self.state = "severed"
            self._close_listener()
            self._close_all()

    def freeze(self) -> None:
        """Like the service hanging: open connections stop passing data, new ones are accepted
        and never answered."""
        with self._lock:
            self.state = "frozen"

    def restore(self) -> None:
        with self._lock:
            was = self.state
            self.state = "open"
            for held in self._held:
                _close(held)
            self._held.clear()
            if was == "frozen":
                self._close_all()  # half-read protocol state must not carry on
        if self._listener is None:
            self._listen()

    def stop(self) -> None:
        self._stopped = True
        with self._lock:
            self._close_listener()
            self._close_all()
            for held in self._held:
                _close(held)

    # -- plumbing ------------------------------------------------------------------------------
    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by sever() or stop()
            with self._lock:
                if self.state == "frozen":
                    self._held.append(client)
                    continue
                if self.state != "open":
                    _close(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: Tuple[socket.socket, socket.socket]) -> None:
        client, upstream = pair
        peers = {client: upstream, upstream: client}
        try:
            while not self._stopped:
                readable, _, _ = select.select([client, upstream], [], [], 0.2)
                if self.state == "frozen":
                    continue  # hold everything: the other side just waits
                if self.state != "open":
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                if pair in self._pairs:
                    self._pairs.remove(pair)
            _close(client)
            _close(upstream)

    def _close_listener(self) -> None:
        if self._listener is not None:
            _close(self._listener)
            self._listener = None

    def _close_all(self) -> None:
        for client, upstream in self._pairs:
            _reset(client)
            _close(upstream)
        self._pairs.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass
