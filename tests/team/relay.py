"""A TCP relay in front of the test PostgreSQL, to cut the desk off from the real server and bring it back.

`stop()` closes the listening socket and every relayed connection (the desk sees its connections drop,
then "connection refused"); `start()` listens on the same port again. Nothing stands in for PostgreSQL:
every byte goes to and from the real server.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """Relays 127.0.0.1:`port` to `target` (host, port) while started."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen (on the same port as before, once one was given)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut the relayed ones."""
        with self._lock:
            listener, self._listener = self._listener, None
            cut, self._open = self._open, set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in cut:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            server = socket.create_connection(self.target)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    server.close()
                    return
                self._open |= {client, server}
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def relay_for(url: str) -> Relay:
    """A relay (not started) to the server of a postgresql:// URL."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    return Relay((str(params.get("host", "127.0.0.1")), int(str(params.get("port", 5432)))))


def through(relay: Relay, url: str) -> str:
    """The URL of the same database through the relay (started once, so its port is known)."""
    from psycopg.conninfo import conninfo_to_dict

    from tests.postgres_fixtures import with_database

    params = conninfo_to_dict(url)
    direct = with_database(url, str(params["dbname"]))
    return direct.replace(f":{params['port']}/", f":{relay.port}/")
