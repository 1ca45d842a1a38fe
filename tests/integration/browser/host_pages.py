"""Another website on another origin, embedding the widget the way a real site would.

Serves the demo host page (web/demo.html, with its one-tag embed pointed at the test coach
server, as a site owner would paste it) and the test-only pages in pages/ ({{EMBED}} becomes
that tag, {{COACH}} the coach's address). It listens on
127.0.0.1:<host_port>, which the coach server lists in COACH_ALLOWED_ORIGINS; the same server
reached as http://localhost:<host_port> is a different origin that is not listed.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Tuple

ROOT = Path(__file__).resolve().parents[3]
PAGES = Path(__file__).resolve().parent / "pages"
EMBED_IN_DEMO = '<script src="widget.js" defer></script>'


def embed_tag(coach_url: str) -> str:
    """The tag docs/widget.md tells a site owner to paste."""
    return f'<script src="{coach_url}/webhooks/web/widget.js" data-server="{coach_url}" defer></script>'


def build_pages(coach_url: str) -> Dict[str, Tuple[str, bytes]]:
    demo = (ROOT / "web" / "demo.html").read_text(encoding="utf-8")
    if EMBED_IN_DEMO not in demo:
        raise AssertionError(f"web/demo.html no longer embeds the widget with {EMBED_IN_DEMO}")
    pages = {
        "/demo.html": ("text/html; charset=utf-8", demo.replace(EMBED_IN_DEMO, embed_tag(coach_url)).encode()),
        "/demo.css": ("text/css; charset=utf-8", (ROOT / "web" / "demo.css").read_bytes()),
    }
    for page in PAGES.glob("*.html"):
        html = page.read_text(encoding="utf-8").replace("{{EMBED}}", embed_tag(coach_url))
        html = html.replace("{{COACH}}", coach_url)
        pages[f"/{page.name}"] = ("text/html; charset=utf-8", html.encode())
    return pages


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, pages: Dict[str, Tuple[str, bytes]], *args, **kwargs) -> None:
        self.pages = pages
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        found = self.pages.get(self.path.split("?")[0])
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep test output readable
        pass


class HostPages:
    def __init__(self, port: int, coach_url: str) -> None:
        self.port = port
        self.server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, build_pages(coach_url)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostPages:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
