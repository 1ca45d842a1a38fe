"""Reminders the user controls: what they asked for (phrases.py), when that is (schedule.py),
where it is kept (coach/store/reminders.py) and the one scheduler that sends it (scheduler.py).
See docs/reminders.md."""
