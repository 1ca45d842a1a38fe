"""Rasa's RabbitMQ event broker, publishing only what coach/analytics.py lets out.

endpoints.production.yml: `event_broker: {type: connectors.analytics_broker.AnalyticsEventBroker,
url: ..., queues: [...]}`, with every option of Rasa's `pika` broker. Filtering happens before
the event reaches the broker's queue of unpublished events, so even an event kept for a retry
has no message text or health detail in it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa.core.brokers.pika import PikaEventBroker

from coach.analytics import redact


class AnalyticsEventBroker(PikaEventBroker):
    def publish(self, event: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        safe = redact(event)
        if safe is not None:
            super().publish(safe, headers=None)  # headers could carry the channel's metadata
