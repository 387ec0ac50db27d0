"""The playground's web app: a Starlette ASGI app that serves the page and one WebSocket per tab.

Routes::

    GET /                        the page (static/index.html)
    GET /static/<file>           its stylesheet and script
    WS  /ws                      one playground Session per connection, with the protocol below
    GET /export/<token>/model    that session's network as a glassnet model file
    GET /export/<token>/script   a Python script that builds and trains the same network

The page sends JSON text messages::

    {"type": "setup", "setup": {<Setup field>: <value>, ...}}   change the set-up
    {"type": "play"}, {"type": "pause"}, {"type": "step"}, {"type": "reset"}
    {"type": "ack"}                              an update has been drawn (flow control)
    {"type": "set_param", "layer": l, "name": "W" or "b", "index": [i, j] or [i], "value": v}
    {"type": "explain", "layer": l, "unit": j, "point": p}
    {"type": "upload", "name": "data.csv", "text": "<the file>"}

and the server answers with ``hello`` (the session's token, the limits, the choices, the
datasets' thumbnails), ``network`` (``Session.description``), ``update`` (``Session.snapshot``,
one per epoch while playing), ``setup``, ``playing``, ``explain`` and ``error``. While playing,
at most ``WINDOW`` updates are on their way unacknowledged, so a busy page slows the training
down instead of queueing frames, and at most ``max_updates_per_second`` are sent.

Every message is checked: its size, that it is a JSON object of known fields, every value
(``Setup`` checks the set-up); a bad one gets an ``error`` message and the connection goes on.
Each connection has its own session and lock, so several tabs train at once without
interfering. The host must be one the server was started for (no DNS rebinding) and a page
from another origin cannot open the WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import asdict
from pathlib import Path, PurePosixPath, PureWindowsPath
from secrets import token_urlsafe
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketState

from glassnet.playground import data, features
from glassnet.playground.session import Session
from glassnet.playground.setup import (
    ACTIVATIONS,
    OPTIMIZERS,
    REGULARIZATIONS,
    Limits,
    Setup,
    brief,
)
from glassnet.training import TrainingDiverged

STATIC = Path(__file__).parent / "static"
#: Updates sent while playing and not yet acknowledged by the page.
WINDOW = 2
#: Points in each dataset's thumbnail.
THUMBNAIL_POINTS = 200
MAX_FILE_NAME = 200

log = logging.getLogger("glassnet.playground")

# The page allows only its own files and its own server to talk to.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class MessageError(ValueError):
    """A message that is not what the protocol allows; the page is told why."""


def create_app(limits: Limits | None = None, host: str = "127.0.0.1") -> Starlette:
    """The playground app for a server bound to ``host``, with the caps of ``limits``."""
    limits = limits or Limits()
    if host in ("0.0.0.0", "::", ""):
        allowed_hosts = ["*"]  # any address of this machine; the origin check still holds
    else:
        allowed_hosts = sorted({host.strip("[]"), "127.0.0.1", "localhost", "::1", "[::1]"})
    app = Starlette(
        routes=[
            Route("/", _index),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            WebSocketRoute("/ws", _socket),
            Route("/export/{token}/{kind}", _export),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)],
    )
    app.state.limits = limits
    app.state.connections = {}
    app.state.hello = _hello(limits)
    return app


def _hello(limits: Limits) -> dict:
    """What every page is told first: the limits, the choices and the datasets' thumbnails."""
    thumbnails = {}
    for name, builtin in data.BUILTINS.items():
        points = builtin.draw(0.0, seed=0, n_samples=THUMBNAIL_POINTS)
        if builtin.problem == "classification":
            shade = points.targets.astype(float)
        else:
            shade = points.targets / max(abs(points.targets).max(), 1e-9)
        thumbnails[name] = [
            [round(float(x1), 3), round(float(x2), 3), round(float(value), 3)]
            for (x1, x2), value in zip(points.xy, shade, strict=True)
        ]
    return {
        "type": "hello",
        "limits": asdict(limits),
        "defaults": Setup().to_dict(),
        "datasets": {name: builtin.problem for name, builtin in data.BUILTINS.items()},
        "thumbnails": thumbnails,
        "view": data.VIEW_HALF_WIDTH,
        "features": [{"key": f.key, "label": f.label} for f in features.FEATURES],
        "activations": list(ACTIVATIONS),
        "optimizers": list(OPTIMIZERS),
        "regularizations": list(REGULARIZATIONS),
    }


async def _index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)


# What /export/<token>/<kind> downloads: the session's method, media type and file name.
_EXPORTS = {
    "model": ("model_file", "application/octet-stream", "playground-model.safetensors"),
    "script": ("script", "text/x-python; charset=utf-8", "train_playground.py"),
}


async def _export(request: Request) -> Response:
    """The model file or the training script of the session whose token is in the path."""
    connection = request.app.state.connections.get(request.path_params["token"])
    kind = request.path_params["kind"]
    if connection is None:
        return PlainTextResponse("no such playground session (was its tab closed?)", 404)
    if kind not in _EXPORTS:
        return PlainTextResponse(f"unknown export {kind!r}: use model or script", 404)
    method, media_type, file_name = _EXPORTS[kind]
    content = await connection.call(getattr(connection.session, method))
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


async def _socket(websocket: WebSocket) -> None:
    origin = websocket.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != websocket.headers.get("host"):
        await websocket.close(code=1008)  # a page of another site: refused before accepting
        return
    app = websocket.app
    limits: Limits = app.state.limits
    await websocket.accept()
    connections = app.state.connections
    if len(connections) >= limits.max_sessions:
        await websocket.send_text(
            json.dumps(
                {
                    "type": "error",
                    "message": f"the playground already serves {limits.max_sessions} pages "
                    "(max_sessions); close one and reload this page",
                }
            )
        )
        await websocket.close(code=1013)
        return
    token = token_urlsafe(16)
    connection = Connection(websocket, Session(limits=limits), limits)
    connections[token] = connection
    try:
        await connection.run({**app.state.hello, "token": token})
    finally:
        del connections[token]
        await connection.stop()


class Connection:
    """One page's WebSocket: its messages, its session and the training loop while playing."""

    def __init__(self, websocket: WebSocket, session: Session, limits: Limits):
        self.websocket = websocket
        self.session = session
        self.limits = limits
        self.lock = asyncio.Lock()  # one session call at a time, in a worker thread
        self.playing = False
        self.player: asyncio.Task | None = None
        self.unacknowledged = 0
        self.acknowledged = asyncio.Event()
        self.handlers = {
            "setup": self._setup,
            "play": self._play,
            "pause": self._pause,
            "step": self._step,
            "reset": self._reset,
            "ack": self._ack,
            "set_param": self._set_param,
            "explain": self._explain,
            "upload": self._upload,
        }

    async def call(self, function, *args):
        """Run ``function(*args)`` on the session in a worker thread, one call at a time."""
        async with self.lock:
            return await run_in_threadpool(function, *args)

    async def send(self, message: dict) -> None:
        await self.websocket.send_text(json.dumps(message, allow_nan=False))

    async def run(self, hello: dict) -> None:
        """Greet the page, then answer its messages until it goes away."""
        await self.send(hello)
        await self._send_network()
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                request = self._parse(message)
                await self.handlers[request["type"]](request)
            except Exception as error:  # never let one message take the server down
                if self.gone():
                    return  # the page closed while it was being answered
                if isinstance(error, (ValueError, TypeError)):
                    await self.send({"type": "error", "message": str(error)})
                else:
                    log.exception("playground message failed")
                    await self.send(
                        {"type": "error", "message": f"internal error: {type(error).__name__}"}
                    )

    def gone(self) -> bool:
        """Whether the page has closed the connection (or this side has)."""
        connected = WebSocketState.CONNECTED
        websocket = self.websocket
        return websocket.client_state != connected or websocket.application_state != connected

    async def stop(self) -> None:
        """Stop playing when the page has gone."""
        self.playing = False
        self.acknowledged.set()
        if self.player is not None:
            self.player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.player

    def _parse(self, message: dict) -> dict:
        """The JSON object in a WebSocket message, checked for size and type."""
        text = message.get("text")
        if text is None:
            raise MessageError("messages must be JSON text, got a binary message")
        if len(text) > self.limits.max_socket_bytes():
            raise MessageError(
                f"the message has {len(text):,} characters; at most "
                f"{self.limits.max_socket_bytes():,} are taken"
            )
        try:
            request = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            raise MessageError(f"the message is not valid JSON: {error}") from None
        except RecursionError:
            raise MessageError("the message is nested too deeply") from None
        kind = request.get("type") if isinstance(request, dict) else None
        if not isinstance(kind, str) or kind not in self.handlers:
            kinds = ", ".join(self.handlers)
            shown = request.get("type") if isinstance(request, dict) else request
            raise MessageError(
                f"a message must be an object whose type is one of {kinds}; got {brief(shown)}"
            )
        if request["type"] != "upload" and len(text) > self.limits.max_message_bytes:
            raise MessageError(
                f"the message has {len(text):,} characters; at most "
                f"{self.limits.max_message_bytes:,} are taken (max_message_bytes)"
            )
        return request

    # -- the messages ------------------------------------------------------------------------------

    async def _setup(self, request: dict) -> None:
        changes = _fields(request, "setup")["setup"]
        rebuilt = await self.call(self.session.configure, changes)
        if rebuilt:
            await self._pause_quietly()
            await self._send_network()
        else:
            await self.send({"type": "setup", "setup": self.session.setup.to_dict()})

    async def _play(self, request: dict) -> None:
        _fields(request)
        if self.session.diverged:
            raise MessageError("training diverged: press reset (and lower the learning rate)")
        if not self.playing:
            self.playing = True
            self.unacknowledged = 0
            self.player = asyncio.create_task(self._train_while_playing())
        await self.send({"type": "playing", "playing": True})

    async def _pause(self, request: dict) -> None:
        _fields(request)
        await self._pause_quietly()
        await self.send({"type": "playing", "playing": False})

    async def _pause_quietly(self) -> None:
        """Stop the training loop and wait until its last epoch is sent."""
        self.playing = False
        self.acknowledged.set()
        if self.player is not None:
            player, self.player = self.player, None
            await player

    async def _step(self, request: dict) -> None:
        _fields(request)
        await self._pause_quietly()
        await self.send({"type": "playing", "playing": False})
        await self._train_and_send()

    async def _reset(self, request: dict) -> None:
        _fields(request)
        await self._pause_quietly()
        await self.send({"type": "playing", "playing": False})
        await self.call(self.session.reset)
        await self._send_network()

    async def _ack(self, request: dict) -> None:
        _fields(request)
        self.unacknowledged = max(0, self.unacknowledged - 1)
        self.acknowledged.set()

    async def _set_param(self, request: dict) -> None:
        fields = _fields(request, "layer", "name", "index", "value")
        await self.call(
            self.session.set_parameter,
            fields["layer"],
            fields["name"],
            fields["index"],
            fields["value"],
        )
        await self._send_update()

    async def _explain(self, request: dict) -> None:
        fields = _fields(request, "layer", "unit", "point")
        answer = await self.call(
            self.session.explain, fields["layer"], fields["unit"], fields["point"]
        )
        await self.send(answer)

    async def _upload(self, request: dict) -> None:
        fields = _fields(request, "name", "text")
        name, text = fields["name"], fields["text"]
        if not isinstance(name, str) or not isinstance(text, str):
            raise MessageError("an upload's name and text must be strings")
        # Only the file's own name is kept: no folders, no control characters.
        name = PureWindowsPath(PurePosixPath(name).name).name
        name = "".join(c for c in name if c.isprintable())[:MAX_FILE_NAME] or "upload.csv"
        await self.call(self.session.upload, name, text.encode("utf-8"))
        await self._pause_quietly()
        await self.send({"type": "playing", "playing": False})
        await self._send_network()

    # -- training and updates ----------------------------------------------------------------------

    async def _train_while_playing(self) -> None:
        """Train and send an update per epoch while playing, at most ``WINDOW`` unacknowledged
        and ``max_updates_per_second`` a second."""
        loop = asyncio.get_running_loop()
        period = 1.0 / self.limits.max_updates_per_second
        try:
            while self.playing:
                if self.unacknowledged >= WINDOW:
                    self.acknowledged.clear()
                    await self.acknowledged.wait()
                    continue
                started = loop.time()
                try:
                    await self._train_and_send()
                except TrainingDiverged as error:
                    self.playing = False
                    await self.send({"type": "playing", "playing": False})
                    await self.send({"type": "error", "message": f"{error}; press reset"})
                    await self._send_update()
                    return
                await asyncio.sleep(max(0.0, period - (loop.time() - started)))
        except Exception:  # the page went away mid-send, or a bug: stop, keep serving
            self.playing = False
            if not self.gone():
                log.exception("playground training stopped")

    async def _train_and_send(self) -> None:
        text = await self.call(self._train_and_describe)
        self.unacknowledged += 1
        await self.websocket.send_text(text)

    def _train_and_describe(self) -> str:
        self.session.train_epoch()
        return json.dumps(self.session.snapshot(), allow_nan=False)

    async def _send_update(self) -> None:
        text = await self.call(lambda: json.dumps(self.session.snapshot(), allow_nan=False))
        await self.websocket.send_text(text)

    async def _send_network(self) -> None:
        text = await self.call(lambda: json.dumps(self.session.description(), allow_nan=False))
        await self.websocket.send_text(text)
        await self._send_update()


def _fields(request: dict, *names: str) -> dict:
    """``request`` after checking that it has exactly the fields ``type`` and ``names``."""
    expected = {"type", *names}
    missing = [name for name in names if name not in request]
    unknown = sorted(set(request) - expected)
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise MessageError(
            f"a {request['type']!r} message takes the fields {', '.join(sorted(expected))}; "
            f"{problem}"
        )
    return request


def _reject_constant(name: str):
    raise MessageError(f"numbers must be finite, got {name}")
