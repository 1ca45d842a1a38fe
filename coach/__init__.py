"""Psoas Coach core: knowledge base, safety rules, recommendation, sessions and storage.

Nothing in this package imports Rasa; the Rasa adapters in actions/, connectors/ and
nlu_components/ call into it.
"""
