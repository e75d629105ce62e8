"""The whole app on a real threaded WSGI server on a free port, for tests that speak real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LiveServer:
    """Binds first, so the app can be built knowing its own address, then serves it."""

    def __init__(self) -> None:
        self._app: Callable[..., Iterable[bytes]] | None = None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self._app is not None, "LiveServer.start(app) was not called"
        body = self._app(environ, start_response)
        # Werkzeug's development server skips closing a response when the client drops the
        # connection while it drains the request (a browser abandoning a favicon when the page
        # moves on). The open static file then warns, and with warnings as errors that fails
        # whichever test happens to be running. Reading the body here closes it before a byte
        # is sent; every response in these tests is small.
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def start(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
