"""Rasa SDK adapters over the coach core: they read the tracker, call coach/, and reply."""
