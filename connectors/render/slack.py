"""Bot messages as Slack `chat.postMessage` arguments: Block Kit sections, buttons, images.

Pure functions over `BotMessage`; `connectors/slack.py` adds the channel and thread and posts.
- Text goes in `mrkdwn` sections with `&`, `<` and `>` escaped (Slack's only escapes), so a
  `<` in the coach's words never turns into a link or a mention. Slack caps a section at 3000
  characters and a message at 50 blocks, so long text is cut at paragraph breaks and, past 50
  blocks, sent as several messages; buttons go with the last.
- An urgent safety message's first paragraph, what to do now, is bold and comes first.
- Buttons become `actions` blocks. Slack allows 25 buttons per block (Rasa's stock connector
  drops every button when there are more than 5), 75 characters of button text and 2000 of
  value; longer payloads travel as `#k:<key>` like Telegram's.
- `text` is always set: Slack shows it in notifications and screen readers read it.
- The `custom` payload is for machines: nothing of it is shown.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence, Tuple

from connectors import wording
from connectors.render import PAYLOAD_KEY_PREFIX, BotMessage, Button, split_text

SECTION_LIMIT = 3000
BLOCKS_PER_MESSAGE = 50
BUTTONS_PER_BLOCK = 25
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ALT_TEXT_LIMIT = 2000
FALLBACK_TEXT_LIMIT = 3000  # Slack truncates very long `text`; notifications show far less


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fits_button_value(payload: str) -> bool:
    return 0 < len(payload) <= BUTTON_VALUE_LIMIT and not payload.startswith(PAYLOAD_KEY_PREFIX)


def payloads_needing_keys(message: BotMessage) -> List[str]:
    return [b.payload for b in message.buttons if not fits_button_value(b.payload)]


def button_value(payload: str, keys: Mapping[str, str]) -> str:
    return payload if fits_button_value(payload) else PAYLOAD_KEY_PREFIX + keys[payload]


def button_text(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= BUTTON_TEXT_LIMIT else title[: BUTTON_TEXT_LIMIT - 1].rstrip() + "…"


def action_blocks(buttons: Sequence[Button], keys: Mapping[str, str]) -> List[Dict[str, Any]]:
    elements = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": button_text(b.title), "emoji": True},
            "value": button_value(b.payload, keys),
            "action_id": f"coach_button_{i}",  # unique within the message, as Slack requires
        }
        for i, b in enumerate(buttons)
    ]
    return [
        {"type": "actions", "elements": elements[i : i + BUTTONS_PER_BLOCK]}
        for i in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


def text_pieces(message: BotMessage) -> List[Tuple[str, str]]:
    """(section text, plain text) pieces: cut before escaping, so an entity is never cut, and
    measured as sent. An urgent safety message's first paragraph is bold and first."""
    text = (message.text or "").strip()
    if not text:
        return []
    pieces: List[Tuple[str, str]] = []
    rest = text
    if message.urgent:
        first, _, rest = text.partition("\n\n")
        pieces += [(_bold(escape(p)), escape(p)) for p in split_text(first, SECTION_LIMIT, _bold_length)]
    if rest.strip():
        pieces += [(escape(p), escape(p)) for p in split_text(rest, SECTION_LIMIT, _escaped_length)]
    return pieces


def render(message: BotMessage, keys: Mapping[str, str] = {}) -> List[Dict[str, Any]]:  # noqa: B006
    """`chat.postMessage` arguments (without channel and thread) that show `message`, in order."""
    pieces = text_pieces(message)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": shown}} for shown, _ in pieces]
    plain = [p for _, p in pieces]
    if message.image:
        alt = (message.text or "").strip()[:ALT_TEXT_LIMIT] or message.image[-ALT_TEXT_LIMIT:]
        blocks.append({"type": "image", "image_url": message.image, "alt_text": alt})
    if message.buttons:
        blocks += action_blocks(message.buttons, keys)
    if not blocks:
        return []
    chunks = [blocks[i : i + BLOCKS_PER_MESSAGE] for i in range(0, len(blocks), BLOCKS_PER_MESSAGE)]
    if len(chunks) > 1 and chunks[-1][0]["type"] == "actions":
        chunks[-1].insert(0, chunks[-2].pop())  # buttons stay under the words they answer
    messages, used = [], 0
    for chunk in chunks:
        count = sum(1 for b in chunk if b["type"] == "section")
        fallback = "\n\n".join(plain[used : used + count])[:FALLBACK_TEXT_LIMIT]
        used += count
        messages.append({"text": fallback or escape(message.image or ""), "blocks": chunk})
    return messages


def answered(blocks: List[Dict[str, Any]], value: str) -> List[Dict[str, Any]]:
    """A message's blocks once one of its buttons was clicked: the buttons go (Slack keeps them
    clickable for ever, and a second click would answer the next question too) and the chosen
    answer shows in their place, as a typed answer would."""
    chosen = next(
        (
            e["text"]["text"]
            for b in blocks
            if b.get("type") == "actions"
            for e in b.get("elements", [])
            if e.get("value") == value
        ),
        None,
    )
    kept = [b for b in blocks if b.get("type") != "actions"]
    if chosen:
        answer = escape(wording.ANSWERED.format(choice=chosen))
        kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": answer}]})
    return kept


def _escaped_length(text: str) -> int:
    return len(escape(text))


def _bold_length(text: str) -> int:
    return len(_bold(escape(text)))


def _bold(text: str) -> str:
    """Slack's *bold* stops at line breaks and needs no space inside the asterisks."""
    return "\n".join(f"*{line.strip()}*" if line.strip() else line for line in text.split("\n"))
