from coach.kb.loader import KnowledgeBase, KnowledgeError, load_directory

__all__ = ["KnowledgeBase", "KnowledgeError", "load_directory"]
