"""Targeted fixes to Rasa 3.6 internals, applied when our channels load (`connectors/`).

Each fix keeps Rasa's behaviour and only removes a cost we measured; each is guarded by the
Rasa version it was written against, so an upgrade drops it instead of patching blindly.

Action response validation: Rasa validates every action server response with
`jsonschema.validate`, which first re-checks the (constant) response schema against the
JSON Schema meta-schema. Profiling paced sessions (py-spy, 20 concurrent sessions) showed
that meta-schema check was 62% of the Rasa server's CPU time; every pushed session cue
costs two action calls. We compile the validator once and validate responses with it.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

import rasa
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

PATCHED_RASA = "3.6."


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = validators.exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    # Same error and wording as Rasa's own implementation.
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid. For more information about the format visit "
        "https://rasa.com/docs/rasa/custom-actions"
    )
    raise error


def apply() -> bool:
    """Returns whether the fixes apply to the installed Rasa."""
    if not rasa.__version__.startswith(PATCHED_RASA):
        return False
    RemoteAction._validate_action_result = _validate_action_result
    return True


applied = apply()

__all__ = ["ValidationError", "applied", "apply"]
