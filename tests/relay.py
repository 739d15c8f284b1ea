"""A TCP relay on a loopback port in front of a real server (PostgreSQL, Redis): stopping it is an outage the
app meets as it would meet the server going away (or the network to it), and starting it again on the same
port is the recovery.
A relay can also go silent: it still takes connections and requests, and answers none, as a server that
hangs."""

import contextlib
import socket
import threading


class Relay:
    """Forwards a loopback port to a server; stop() and cut() refuse and drop connections, as a stopped server
    and a network cut do."""

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
        """A stopped server: new connections are refused, and open ones are closed, which both ends hear."""
        self._close(shut=True)

    def cut(self) -> None:
        """A network cut: new connections are refused, and open ones are dropped here without a word to
        either end, which hears of it only once it sends something (one only listening never does)."""
        self._close(shut=False)

    def _close(self, shut: bool) -> None:
        if self.listener is None:
            return
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        self.listener.close()
        self.listener = None
        for connection in self.connections:
            if shut:  # a close alone, while a pipe's thread waits to read from the socket, sends nothing
                with contextlib.suppress(OSError):  # the other end closed it already
                    connection.shutdown(socket.SHUT_RDWR)
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
