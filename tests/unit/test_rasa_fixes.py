"""The Rasa fixes must keep Rasa's behaviour exactly: same accepted and rejected responses."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import connectors.socketio  # noqa: F401  (applies the fixes, as `rasa run` does when it loads our channels)
import rasa_fixes

RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "safety", "value": {"outcome": "PROCEED"}}]},
    {
        "events": [
            {
                "event": "reminder",
                "intent": "ready",
                "date_time": "2026-11-21T10:00:00+00:00",
                "name": "u1:step3:halfway",
                "kill_on_user_msg": False,
                "entities": [],
            }
        ],
        "responses": [{"text": "Halfway.", "custom": {"type": "session_step"}}],
    },
    {"events": [{"event": "nonsense"}]},
    {"events": [{"event": "slot"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
    [],
]


def test_fix_is_applied_for_rasa_3_6():
    assert rasa_fixes.applied
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result


@pytest.mark.parametrize("response", RESPONSES)
def test_accepts_and_rejects_exactly_what_jsonschema_validate_does(response):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, schema)
        expected_valid = True
    except jsonschema.ValidationError:
        expected_valid = False
    action = RemoteAction("action_anything", None)
    if expected_valid:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(response)


def test_not_applied_to_another_rasa_version(monkeypatch):
    monkeypatch.setattr(rasa_fixes.rasa, "__version__", "3.7.0")
    assert rasa_fixes.apply() is False
