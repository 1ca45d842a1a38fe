"""Our custom Rasa input channels."""
