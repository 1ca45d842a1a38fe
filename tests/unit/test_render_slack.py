"""The Slack renderer: pure functions from a bot message to chat.postMessage arguments.

Every message is checked against Slack's Block Kit limits with the fake Slack API's own check
(tests/integration/channels/fakes.py), so a message Slack would refuse fails here first.
"""

from __future__ import annotations

from connectors.render import PAYLOAD_KEY_PREFIX, BotMessage, Button
from connectors.render.slack import BUTTON_TEXT_LIMIT, SECTION_LIMIT, answered, payloads_needing_keys, render
from tests.integration.channels.fakes import FakeSlack

EMERGENCY = {"type": "safety", "decision": "stop", "outcome": "EMERGENCY", "urgency": "emergency", "flags": ["RF4"]}


def sections(message):
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def buttons(messages):
    return [e for m in messages for b in m["blocks"] if b["type"] == "actions" for e in b["elements"]]


def assert_slack_accepts(messages):
    for message in messages:
        assert FakeSlack._blocks_problem(message["blocks"]) is None
        assert message["text"], "a fallback text for notifications and screen readers"
        assert "as_user" not in message and "channel" not in message


def test_text_is_a_mrkdwn_section_with_slack_escapes_and_a_fallback():
    [message] = render(BotMessage(text="Hips < knees & back > 3/10"))
    assert sections(message) == ["Hips &lt; knees &amp; back &gt; 3/10"]
    assert message["text"] == "Hips &lt; knees &amp; back &gt; 3/10"
    assert message["blocks"][0]["text"]["type"] == "mrkdwn"
    assert_slack_accepts([message])


def test_an_urgent_safety_message_starts_with_its_action_in_bold():
    text = "Please call 999 or go to A&E now.\nSit or lie down.\n\nWhich country are you in?"
    [message] = render(BotMessage(text=text, custom=EMERGENCY))
    assert sections(message) == [
        "*Please call 999 or go to A&amp;E now.*\n*Sit or lie down.*",
        "Which country are you in?",
    ]
    assert message["text"].startswith("Please call 999")


def test_all_buttons_are_kept_up_to_25_per_block():
    seven = [Button(f"Option {i}", f"/choice_{i}") for i in range(7)]
    [message] = render(BotMessage(text="Any of these?", buttons=seven))
    assert [b["value"] for b in buttons([message])] == [f"/choice_{i}" for i in range(7)]
    assert_slack_accepts([message])
    thirty = [Button(f"Option {i}", f"/choice_{i}") for i in range(30)]
    [message] = render(BotMessage(text="Pick one", buttons=thirty))
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]
    assert len({e["action_id"] for e in buttons([message])}) == 30, "action ids are unique in a message"
    assert_slack_accepts([message])


def test_button_text_is_cut_to_75_characters_and_the_payload_is_untouched():
    title = "Numbness or tingling around my bottom, my genitals or the inside of my thighs, right now"
    [message] = render(BotMessage(text="?", buttons=[Button(title, "I have numbness down there")]))
    [button] = buttons([message])
    assert len(button["text"]["text"]) == BUTTON_TEXT_LIMIT and button["text"]["text"].endswith("…")
    assert button["value"] == "I have numbness down there"


def test_a_payload_over_2000_characters_travels_as_a_stored_key():
    long = "/answer_clarify" + "x" * 2100
    message = BotMessage(text="?", buttons=[Button("Go", long)])
    assert payloads_needing_keys(message) == [long]
    [rendered] = render(message, keys={long: "k123"})
    assert buttons([rendered])[0]["value"] == PAYLOAD_KEY_PREFIX + "k123"


def test_long_text_is_cut_into_sections_and_past_50_blocks_into_several_messages():
    text = "\n\n".join(f"Paragraph {i} & more: " + "keep breathing slowly. " * 40 for i in range(200))
    messages = render(BotMessage(text=text, buttons=[Button("Next", "/ready")]))
    assert len(messages) > 1
    assert_slack_accepts(messages)
    assert all(len(s) <= SECTION_LIMIT for m in messages for s in sections(m))
    assert buttons(messages[-1:]) and not buttons(messages[:-1]), "buttons under the last piece"
    joined = "\n\n".join(s for m in messages for s in sections(m))
    assert joined.replace("&amp;", "&") == text.strip()
    assert messages[1]["text"].startswith(sections(messages[1])[0][:100]), "each piece notifies with its own text"


def test_buttons_never_travel_alone_in_a_last_message():
    text = "\n\n".join("Short paragraph. " * 170 for _ in range(50))  # exactly 50 sections
    messages = render(BotMessage(text=text, buttons=[Button("Next", "/ready")]))
    assert [len(m["blocks"]) for m in messages] == [49, 2]
    assert messages[-1]["blocks"][0]["type"] == "section" and messages[-1]["text"]
    assert_slack_accepts(messages)


def test_an_unbroken_run_of_ampersands_is_cut_without_breaking_an_entity():
    [message] = render(BotMessage(text="&" * 4000))
    assert all(len(s) <= SECTION_LIMIT and not s.endswith(("&a", "&am", "&amp")) for s in sections(message))
    assert "".join(sections(message)).replace("&amp;", "&") == "&" * 4000


def test_an_image_is_an_image_block_with_alt_text():
    [message] = render(BotMessage(text="Your week", image="https://example.org/chart.png"))
    image = next(b for b in message["blocks"] if b["type"] == "image")
    assert image == {"type": "image", "image_url": "https://example.org/chart.png", "alt_text": "Your week"}
    [only_image] = render(BotMessage(image="https://example.org/chart.png"))
    assert only_image["text"] == "https://example.org/chart.png"
    assert_slack_accepts([message, only_image])


def test_the_custom_payload_is_never_shown():
    assert render(BotMessage.from_rasa({"custom": {"type": "safety", "decision": "clear"}})) == []
    [message] = render(BotMessage.from_rasa({"text": "Thanks.", "custom": {"type": "safety"}}))
    assert sections(message) == ["Thanks."]


def test_a_clicked_question_shows_the_answer_instead_of_its_buttons():
    [message] = render(
        BotMessage(text="Pregnant <now>?", buttons=[Button("Yes", "/affirm"), Button("No & more", "/deny")])
    )
    closed = answered(message["blocks"], "/deny")
    assert closed[0] == message["blocks"][0]
    assert closed[1:] == [{"type": "context", "elements": [{"type": "mrkdwn", "text": "✓ No &amp; more"}]}]
    assert answered(message["blocks"], "/unknown") == message["blocks"][:1], "no match: the buttons still go"
    assert FakeSlack._blocks_problem(closed) is None
