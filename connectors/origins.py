"""Which web pages may open the coach's socket: our own page and the configured sites.

python-engineio 4.5.1 offers either "same origin only" (`cors_allowed_origins=None`) or a
fixed list; with a list, our own chat page at /webhooks/web stops working unless the operator
also lists the server's own address, and an empty list (what Rasa's stock channel passes)
turns the Origin check off. The chat page and the embedded widget need both, so the origin
check here accepts the request's own host plus the sites from COACH_ALLOWED_ORIGINS.

CORS headers on engine.io's long-polling answers are left to Sanic's CORS, which Rasa is
given the same list (`--cors`, scripts/run.sh): with both, a listed site got
`Access-Control-Allow-Origin` twice, which browsers refuse.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import engineio
from socketio import AsyncServer


def own_origins(environ: Dict[str, Any]) -> List[str]:
    """The origins a browser sends for a page served by this very host (as the proxy in front
    of us may have renamed it: X-Forwarded-Host, which engine.io itself also trusts).

    Both schemes: behind a proxy that terminates TLS without X-Forwarded-Proto the server
    only sees http, while the browser says https; the host and port still prove it is us."""
    hosts = [environ.get("HTTP_HOST"), (environ.get("HTTP_X_FORWARDED_HOST") or "").split(",")[0]]
    return [f"{scheme}://{host.strip()}" for host in hosts if host and host.strip() for scheme in ("http", "https")]


class OriginCheckedServer(AsyncServer):
    """A socket.io server that refuses a handshake whose Origin is neither ours nor listed."""

    def __init__(self, listed_origins: Sequence[str], **kwargs: Any) -> None:
        self.listed_origins = list(listed_origins)
        super().__init__(**kwargs)

    def _engineio_server_class(self) -> type:
        listed = self.listed_origins

        class _Engine(engineio.AsyncServer):
            # Overrides a private hook of python-engineio 4.5.1 (pinned in requirements.lock);
            # tests/integration/test_widget_origins.py fails if an upgrade stops calling it.
            def _cors_allowed_origins(self, environ: Dict[str, Any]) -> Optional[List[str]]:
                if "*" in listed:
                    return None  # engine.io's "allow every origin"
                return own_origins(environ) + listed

            def _cors_headers(self, environ: Dict[str, Any]) -> List[Tuple[str, str]]:
                return []  # Sanic's CORS adds them, for the same origins

        return _Engine
