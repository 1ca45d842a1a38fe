"""The action server, as rasa-sdk 3.6.2 builds it, answering the Rasa server only.

`python -m actions.server --port 5055` (scripts/run.sh, tests/integration/servers.py). Why not
`rasa run actions`: rasa-sdk listens on SANIC_HOST or every interface, and answers anyone who
reaches the port, so anyone could run the coach's action for any sender id and read or write
that person's stored health profile. Here:
- it listens on COACH_BIND_ADDRESS (127.0.0.1 unless exposing it is set explicitly);
- with COACH_ACTION_SECRET set, every call but /health must carry it in the
  X-Coach-Action-Secret header (the Rasa server sends it: endpoints.yml
  `action_endpoint.headers`); without it, only loopback callers are answered;
- a failing action answers 500 with no details: rasa-sdk's own handler echoes the exception and
  the whole request (the tracker, with everything the user said) back to the caller;
- request bodies are capped (COACH_MAX_BODY_BYTES, at least 1 MiB: a tracker grows with the
  conversation).
The check is a Sanic request middleware on rasa-sdk's own app (`create_app`), so the actions,
the webhook and its responses are rasa-sdk's, unchanged.
"""

from __future__ import annotations

import argparse
import hmac
import logging
from typing import Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach import settings
from coach.logs import failure

logger = logging.getLogger("actions.server")
OPEN_PATHS = frozenset({"/health"})  # for supervisors and load balancers; says only "ok"
MIN_BODY_BYTES = 1024 * 1024


def refusal(request: Request, secret: str) -> Optional[HTTPResponse]:
    """None when the caller may use the action server, else the answer it gets."""
    if request.path in OPEN_PATHS:
        return None
    if secret:
        given = request.headers.get(settings.ACTION_SECRET_HEADER) or ""
        if hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
            return None
        return response.json({"error": "forbidden"}, status=403)
    if settings.is_loopback(request.ip or ""):
        return None
    return response.json({"error": "forbidden"}, status=403)


def build(secret: Optional[str] = None) -> Sanic:
    secret = settings.action_secret() if secret is None else secret
    app = create_app("actions", cors_origins=[])

    @app.middleware("request")
    async def only_the_rasa_server(request: Request) -> Optional[HTTPResponse]:
        refused = refusal(request, secret)
        if refused is not None:
            logger.warning("Refused %s %s from %s", request.method, request.path, request.ip)
        return refused

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        logger.error("Action call failed: %s", failure(exception))
        return response.json({"error": "the action failed"}, status=500)

    app.config.REQUEST_MAX_SIZE = max(settings.max_body_bytes(), MIN_BODY_BYTES)
    if not secret:
        logger.warning(
            "COACH_ACTION_SECRET is unset: the action server answers loopback callers only (docs/security.md)."
        )
    return app


def warm_up() -> None:
    """Connects to the database and loads the knowledge base before the first call, so the first
    user after a (re)start is not the one whose turn outlives the channels' reply deadline. A
    database that is down now is tried again on the first call."""
    from actions.door import coach

    try:
        coach()
    except Exception as error:
        logger.warning("The coach's database is not ready yet (%s); trying again on the first call.", failure(error))


def main() -> None:
    parser = argparse.ArgumentParser(description="Psoas Coach's action server (rasa-sdk), for the Rasa server only.")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = build()
    warm_up()
    host = settings.bind_address()
    logger.info("Action server on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
