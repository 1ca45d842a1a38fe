"""Custom Rasa NLU components (adapters over coach/)."""
