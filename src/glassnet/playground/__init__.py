"""The playground: tinker with a glassnet network in the browser, as in TensorFlow Playground.

``glassnet playground`` serves a page on this machine whose network is glassnet's own: every
epoch is ``Network.fit``, every heat map ``Network.predict_output``, every trace
``Network.explain``, and what is built there downloads as a model file that ``glassnet.load``
reads, or as a Python script that trains it again.

- ``features``: the input features (x1, x2, x1², ..., sin, cos) as NumPy expressions;
- ``data``: the built-in datasets (from ``glassnet.datasets``), uploads and the split;
- ``setup``: the server's ``Limits`` and the checked ``Setup`` of a network;
- ``session``: one page's data, network, optimizer and training;
- ``export``: the Python script that trains the same network;
- ``app``: the Starlette app and its WebSocket protocol; ``static/``: the page.

It needs the ``playground`` extra (Starlette and uvicorn): ``pip install "glassnet[playground]"``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import webbrowser

from glassnet.playground.setup import Limits

INSTALL_HINT = 'the playground needs Starlette and uvicorn: pip install "glassnet[playground]"'


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = True,
    limits: Limits | None = None,
    announce=print,
) -> None:
    """Serve the playground on ``host:port`` until Ctrl-C (port 0 picks a free one).

    The socket is bound before the server starts, so a port in use raises ``OSError`` here.
    ``announce`` is called with the page's address once the socket is bound.
    """
    server, listener, url = _server(host, port, limits)
    announce(f"glassnet playground on {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    server.run(sockets=[listener])


@contextlib.contextmanager
def running(limits: Limits | None = None, host: str = "127.0.0.1", port: int = 0):
    """Serve the playground from a background thread while the ``with`` block runs, on a free
    port by default; yields the page's address. For tests, benchmarks and screenshots."""
    server, listener, url = _server(host, port, limits)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the playground server on {url} did not start")
            time.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def _server(host: str, port: int, limits: Limits | None):
    """``(uvicorn server, bound socket, page address)`` for the playground on ``host:port``."""
    try:
        import uvicorn

        from glassnet.playground.app import create_app
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from None
    limits = limits or Limits()
    listener = _bind(host, port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{listener.getsockname()[1]}/"
    config = uvicorn.Config(
        create_app(limits, host=host),
        log_level="warning",
        lifespan="off",
        ws_max_size=limits.max_socket_bytes(),
        ws_per_message_deflate=False,
    )
    return uvicorn.Server(config), listener, url


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host.strip("[]"), port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise OSError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None
    return listener
