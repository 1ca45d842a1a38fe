"""The user's data in their hands: consent, memory, what the coach knows, export, forget me,
retention (docs/privacy.md). `purge_inactive(now, days)` is the retention job."""

from coach.privacy.purge import purge_inactive

__all__ = ["purge_inactive"]
