"""A TCP relay on a loopback port in front of a real server (PostgreSQL, Redis): stopping it is an outage the
app meets as it would meet the server going away, and starting it again on the same port is the recovery.
A relay can also go silent: it still takes connections and requests, and answers none, as a server that
hangs."""

import socket
import threading


class Relay:
    """Forwards a loopback port to the database; stop() refuses and drops connections as a stopped server."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.silent = False

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is None:
            return
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        self.listener.close()
        self.listener = None
        for connection in self.connections:
            connection.close()
        self.connections.clear()

    def go_silent(self) -> None:
        """Keep every connection open, new ones included, and pass nothing on either way from now on."""
        self.silent = True

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self.silent:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()
