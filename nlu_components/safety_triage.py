"""Red-flag detection on every message, inside the NLU pipeline.

Runs last, after the learned classifiers. It adds one `coach_finding` entity per
safety-relevant phrase (with negation, time, third-party and hypothetical context), and
when a message carries an emergency, urgent or crisis flag it sets the intent to
`safety_alert`, so the dialogue rules answer it first in any context. A learned model
never gets the last word on a red flag.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from coach import settings
from coach.profile import Profile
from coach.safety.triage import STICKY, Triage

logger = logging.getLogger(__name__)
ALERT_INTENT = "safety_alert"
FINDING_ENTITY = "coach_finding"
WHEN_ENTITY = "coach_when"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyTriage(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(self, triage: Optional[Triage] = None) -> None:
        self._triage = triage

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyTriage:
        return cls()  # training needs no knowledge base

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SafetyTriage:
        component = cls()
        component.warm_up()
        return component

    def warm_up(self) -> None:
        """Builds the matchers at startup, not on the first user's message."""
        self.triage.detector.detect("warm up")

    @property
    def triage(self) -> Triage:
        if self._triage is None:
            from coach.service import Coach

            self._triage = Coach.from_database().triage
        return self._triage

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get("text") or ""
            if not text or text.startswith("/"):
                continue  # button payloads name their intent already
            self._annotate(message, text)
        return messages

    def _annotate(self, message: Message, text: str) -> None:
        today = settings.today()
        detector = self.triage.detector
        findings = detector.detect(text, today)
        entities = list(message.get("entities") or [])
        days = detector.when(text, today)
        if days is not None:
            # How long ago the message says something happened: answers "when was that?".
            entities.append(
                {"entity": WHEN_ENTITY, "value": days, "start": 0, "end": len(text), "extractor": type(self).__name__}
            )
            message.set("entities", entities, add_to_output=True)
        if not findings:
            return
        for f in findings:
            entities.append(
                {
                    "entity": FINDING_ENTITY,
                    "value": f.key,
                    "start": f.start,
                    "end": f.end,
                    "confidence_entity": 1.0,
                    "extractor": type(self).__name__,
                    "finding": f.to_dict(),
                }
            )
        message.set("entities", entities, add_to_output=True)
        decision, _ = self.triage.decide(findings, Profile(user_id=""))
        if decision.outcome in STICKY:
            original = message.get("intent") or {}
            logger.info("Red flag %s: intent %s -> %s", decision.rule_ids, original.get("name"), ALERT_INTENT)
            message.set("intent", {"name": ALERT_INTENT, "confidence": 1.0}, add_to_output=True)
            ranking = [r for r in (message.get("intent_ranking") or []) if r.get("name") != ALERT_INTENT]
            message.set("intent_ranking", [{"name": ALERT_INTENT, "confidence": 1.0}] + ranking, add_to_output=True)
