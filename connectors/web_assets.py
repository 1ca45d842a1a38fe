"""The web chat's scripts as the browser gets them, and the settings the page must share with us.

Two entry scripts are built from the same files in web/, so the full page and the embeddable
widget run ONE renderer (web/coach-chat.js):

- `coach.js`: socket.io client + settings + renderer, for our own chat page (web/index.html);
- `widget.js`: the same plus the floating launcher (web/widget-launcher.js), for any site.

Why a build on the server instead of plain <script> tags: the socket.io client is a UMD file
that sets `window.io` (clobbering a host page's own socket.io) or, on a page with RequireJS,
registers an anonymous AMD module and throws. Wrapped here it sees a local `module` and
leaves the host page alone: the only global the widget adds is `window.PsoasCoach`.
The settings are written into the script by the server, so the page can never disagree with
the server on the message limit or the session pace.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SOCKET_IO_CLIENT = "vendor/socket.io.min.js"
RENDERER = "coach-chat.js"
LAUNCHER = "widget-launcher.js"
BUNDLES: Dict[str, Tuple[str, ...]] = {
    "coach.js": (RENDERER,),
    "widget.js": (RENDERER, LAUNCHER),
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str


class WebAssets:
    """Builds `coach.js` and `widget.js`, rebuilt only when a source file changed."""

    def __init__(self, config: Dict[str, Any], web_dir: Path = WEB_DIR) -> None:
        self.config = config
        self.web_dir = web_dir
        self._cache: Dict[str, Tuple[Tuple[float, ...], Asset]] = {}

    def config_json(self) -> Asset:
        body = json.dumps(self.config, sort_keys=True).encode()
        return Asset(body, _etag(body))

    def bundle(self, name: str) -> Optional[Asset]:
        parts = BUNDLES.get(name)
        if parts is None:
            return None
        files = [self.web_dir / SOCKET_IO_CLIENT, *(self.web_dir / part for part in parts)]
        stamp = tuple(f.stat().st_mtime_ns for f in files)
        cached = self._cache.get(name)
        if cached and cached[0] == stamp:
            return cached[1]
        body = self._build(name, files[0], files[1:]).encode()
        asset = Asset(body, _etag(body))
        self._cache[name] = (stamp, asset)
        return asset

    def _build(self, name: str, client: Path, parts: List[Path]) -> str:
        sources = ", ".join(f"web/{p.relative_to(self.web_dir)}" for p in [client, *parts])
        chunks = [
            f"/* Psoas Coach {name}: built by connectors/web_assets.py from {sources}. */",
            "(function () {",
            "var PsoasCoach = window.PsoasCoach = window.PsoasCoach || {};",
            # A second copy of the same script on one page must not start a second chat.
            f"if (PsoasCoach.loaded && PsoasCoach.loaded[{json.dumps(name)}]) return;",
            f"(PsoasCoach.loaded = PsoasCoach.loaded || {{}})[{json.dumps(name)}] = true;",
            f"PsoasCoach.config = {json.dumps(self.config, sort_keys=True)};",
            "PsoasCoach.io = PsoasCoach.io || (function () {",
            "var module = { exports: {} }, exports = module.exports, define;",
            client.read_text(encoding="utf-8"),
            "return module.exports; })();",
        ]
        chunks += [p.read_text(encoding="utf-8") for p in parts]
        chunks.append("})();")
        return "\n".join(chunks) + "\n"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
