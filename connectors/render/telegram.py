"""Bot messages as Telegram Bot API calls: HTML text, inline keyboards, photos.

Pure functions over `BotMessage`; `connectors/telegram.py` sends what they return.
- Text goes out with `parse_mode=HTML` and every `<`, `>` and `&` escaped, so nothing the
  coach says shows as raw markup, and the action in an urgent safety message can be bold.
- A message longer than Telegram's 4096 characters is cut at paragraph breaks; its buttons go
  with the last piece, so they stay under the question they answer.
- Buttons become an inline keyboard (payloads travel as callback_data, so Telegram gives back
  the payload, not the title). Telegram refuses callback_data over 64 bytes
  (BUTTON_DATA_INVALID), so longer payloads travel as `#k:<key>` (see `PAYLOAD_KEY_PREFIX`).
- An image is sent as a photo, with the text as its caption when it fits.
- The `custom` payload is for machines: nothing of it is shown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from connectors import wording
from connectors.render import PAYLOAD_KEY_PREFIX, BotMessage, Button, split_text

TEXT_LIMIT = 4096  # characters after entities are parsed, counted in UTF-16 code units
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: Dict[str, Any]
    # Files to upload with the call (multipart): field name -> (filename, content).
    files: Optional[Dict[str, Tuple[str, bytes]]] = None


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units: an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def fits_callback_data(payload: str) -> bool:
    return 0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(PAYLOAD_KEY_PREFIX)


def payloads_needing_keys(message: BotMessage) -> List[str]:
    """The button payloads that must be stored behind a key before `render` can send them."""
    return [b.payload for b in message.buttons if not fits_callback_data(b.payload)]


def callback_data(payload: str, keys: Mapping[str, str]) -> str:
    return payload if fits_callback_data(payload) else PAYLOAD_KEY_PREFIX + keys[payload]


def keyboard(buttons: Sequence[Button], keys: Mapping[str, str]) -> Dict[str, Any]:
    """Short answers side by side (yes / no, ratings), longer ones one per row so none is cut."""
    widest = max(len(b.title) for b in buttons)
    per_row = 4 if widest <= 8 else 2 if widest <= 18 else 1
    cells = [{"text": b.title, "callback_data": callback_data(b.payload, keys)} for b in buttons]
    return {"inline_keyboard": [cells[i : i + per_row] for i in range(0, len(cells), per_row)]}


def html_pieces(message: BotMessage) -> List[str]:
    """The message text as Telegram HTML, in pieces of at most 4096 visible characters (cut
    before escaping, so no tag or entity is ever cut). An urgent safety message's first
    paragraph, what to do now, is bold and comes first."""
    text = (message.text or "").strip()
    if not text:
        return []
    first, rest = "", text
    if message.urgent:
        first, _, rest = text.partition("\n\n")
    pieces = [f"<b>{_escape(p)}</b>" for p in split_text(first, TEXT_LIMIT, utf16_length)] if first else []
    plain = split_text(rest, TEXT_LIMIT, utf16_length) if rest.strip() else []
    if pieces and plain and utf16_length(first) + 2 + utf16_length(plain[0]) <= TEXT_LIMIT:
        pieces[-1] += "\n\n" + _escape(plain.pop(0))
    return pieces + [_escape(p) for p in plain]


def render(message: BotMessage, chat_id: Any, keys: Mapping[str, str] = {}) -> List[ApiCall]:  # noqa: B006
    """The calls that show `message` in chat `chat_id`, in order. `keys` maps every payload of
    `payloads_needing_keys(message)` to its stored key."""
    markup = keyboard(message.buttons, keys) if message.buttons else None
    pieces = html_pieces(message)
    calls: List[ApiCall] = []
    if message.image:
        photo: Dict[str, Any] = {"chat_id": chat_id, "photo": message.image}
        if len(pieces) == 1 and utf16_length((message.text or "").strip()) <= CAPTION_LIMIT:
            photo.update(caption=pieces[0], parse_mode="HTML")
            pieces = []
        calls.append(ApiCall("sendPhoto", photo))
    for piece in pieces:
        calls.append(
            ApiCall(
                "sendMessage",
                {"chat_id": chat_id, "text": piece, "parse_mode": "HTML", "disable_web_page_preview": True},
            )
        )
    if markup and calls:  # under the last piece: the question the buttons answer
        calls[-1].params["reply_markup"] = markup
    return calls


def answered(message: Dict[str, Any], data: str) -> ApiCall:
    """The edit that closes a question once a button is pressed: its keyboard goes (a second
    tap would answer the next question too) and the chosen answer shows under it, as a typed
    answer would. `message` is the Bot API Message the button was on, `data` its callback_data."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    chosen = next((b.get("text") for row in rows for b in row if b.get("callback_data") == data), None)
    text = message.get("text")
    if chosen and text:
        edited = f"{text}\n\n{wording.ANSWERED.format(choice=chosen)}"
        if utf16_length(edited) <= TEXT_LIMIT:
            params: Dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": edited}
            if message.get("entities"):
                params["entities"] = message["entities"]  # keeps its bold: offsets before the addition
            params["disable_web_page_preview"] = True
            return ApiCall("editMessageText", params)
    return ApiCall("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def export_tokens(message: BotMessage) -> List[Tuple[str, str]]:
    """(token, filename) of each file of an `export` payload, to upload as documents: Telegram
    takes files, and a link relative to the coach's page would not open there."""
    if message.kind != "export":
        return []
    found = []
    for f in message.custom.get("files") or []:
        parts = str(f.get("url") or "").rstrip("/").split("/")
        if len(parts) >= 2 and parts[-1] == f.get("name"):
            found.append((parts[-2], parts[-1]))
    return found


def document(chat_id: Any, filename: str, content: bytes) -> ApiCall:
    return ApiCall("sendDocument", {"chat_id": chat_id}, files={"document": (filename, content)})
